package buildinfo_test

import (
	"runtime/debug"
	"testing"

	"github.com/tollgate-mcp/tollgate/internal/buildinfo"
)

func TestFromNamesVersionAndRevision(t *testing.T) {
	vcs := func(rev, tm, mod string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.time", Value: tm}, {Key: "vcs.modified", Value: mod}}
	}
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		want string
		ver  string
	}{
		{"no build info", nil, "dev", "dev"},
		{"go run", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev", "dev"},
		{"go install @version", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3", "v1.2.3"},
		{"checkout, toolchain without pseudo-versions",
			&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("b6b34ab1c2d3e4f5a6b7", "2026-11-25T09:30:00Z", "true")},
			"dev (commit b6b34ab1c2d3, 2026-11-25T09:30:00Z, modified)", "dev"},
		{"checkout with a pseudo-version",
			&debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261125093000-b6b34ab1c2d3+dirty"}, Settings: vcs("b6b34ab1c2d3e4f5a6b7", "2026-11-25T09:30:00Z", "true")},
			"v0.0.0-20261125093000-b6b34ab1c2d3+dirty (2026-11-25T09:30:00Z)", "v0.0.0-20261125093000-b6b34ab1c2d3+dirty"},
		{"tagged checkout, clean",
			&debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}, Settings: vcs("b6b34ab1c2d3e4f5a6b7", "2026-11-25T09:30:00Z", "false")},
			"v1.2.3 (commit b6b34ab1c2d3, 2026-11-25T09:30:00Z)", "v1.2.3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info := buildinfo.From(tc.bi)
			if got := info.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
			if info.Version != tc.ver {
				t.Errorf("Version = %q, want %q", info.Version, tc.ver)
			}
			if info.GoVersion == "" {
				t.Error("GoVersion is empty")
			}
		})
	}
}

func TestReadInATestBinary(t *testing.T) {
	// A test binary has build info; its main module version is (devel)
	// or empty, so the version is "dev".
	if v := buildinfo.Version(); v == "" {
		t.Fatal("Version() is empty")
	}
}

package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	rev := []debug.BuildSetting{{Key: "vcs.revision", Value: "3f2a9c1e4b7d5a6b7c8d9e0f1a2b3c4d5e6f7a8b"}}
	dirty := append(rev, debug.BuildSetting{Key: "vcs.modified", Value: "true"})
	for _, tc := range []struct {
		name     string
		version  string
		settings []debug.BuildSetting
		want     string
	}{
		{"a go run or test build", "(devel)", nil, "dev"},
		{"a release", "v1.4.0", nil, "v1.4.0"},
		{"a checkout", "(devel)", rev, "dev+3f2a9c1e4b7d"},
		{"a checkout with changes", "(devel)", dirty, "dev+3f2a9c1e4b7d-dirty"},
		{"a release built from its tag", "v1.4.0", rev, "v1.4.0+3f2a9c1e4b7d"},
		{"a pseudo-version names its revision", "v0.0.0-20261201130634-3f2a9c1e4b7d", rev, "v0.0.0-20261201130634-3f2a9c1e4b7d"},
		{"a version with build metadata", "v1.4.0+incompatible", rev, "v1.4.0+incompatible.3f2a9c1e4b7d"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bi := &debug.BuildInfo{Main: debug.Module{Version: tc.version}, Settings: tc.settings}
			if got := fromBuildInfo(bi); got != tc.want {
				t.Errorf("version = %q, want %q", got, tc.want)
			}
		})
	}
	if Version() == "" {
		t.Error("Version() is empty")
	}
}

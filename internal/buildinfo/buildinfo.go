// Package buildinfo says which tollgate this is: the module version and
// the VCS revision the Go toolchain stamped into the binary. The CLI's
// --version and the MCP server's serverInfo use the same string, so a
// bug report and a host's log name the same build.
//
// What the toolchain records depends on how the binary was built:
//
//   - go install github.com/tollgate-mcp/tollgate/cmd/tollgate@v1.2.3
//     records the module version (v1.2.3) and no VCS revision;
//   - go build in a git checkout records the revision, its time and
//     whether the tree was modified, and (Go 1.24 and later) a
//     pseudo-version such as v0.0.0-20261125093000-b6b34ab1c2d3+dirty;
//   - go build -buildvcs=false, or go run, records neither: the
//     version is "dev".
package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Info is what is known about a build.
type Info struct {
	// Version is the module version (v1.2.3, or a pseudo-version), or
	// "dev" when the toolchain recorded none.
	Version string
	// Revision is the VCS commit, "" when unknown.
	Revision string
	// Time is the commit time as the toolchain recorded it (RFC 3339),
	// "" when unknown.
	Time string
	// Modified reports a build from a tree with uncommitted changes.
	Modified bool
	// GoVersion is the toolchain that built the binary (go1.26.8).
	GoVersion string
}

// Read returns the running binary's Info.
func Read() Info {
	bi, _ := debug.ReadBuildInfo()
	return From(bi)
}

// From extracts Info from build information; bi may be nil.
func From(bi *debug.BuildInfo) Info {
	info := Info{Version: "dev", GoVersion: runtime.Version()}
	if bi == nil {
		return info
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		info.Version = v
	}
	if bi.GoVersion != "" {
		info.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.time":
			info.Time = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// Version is the running binary's version: the module version, or "dev".
// It is the version the MCP server reports in serverInfo and the CLI
// sends in its User-Agent.
func Version() string { return Read().Version }

// String is the one-line description --version prints after the name:
// the version, then what is known of the revision, e.g.
//
//	v1.2.3
//	dev (commit b6b34ab1c2d3, 2026-11-25T09:30:00Z, modified)
func (i Info) String() string {
	var extra []string
	if i.Revision != "" {
		rev := i.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		// A pseudo-version already names the revision; say it once.
		if !strings.Contains(i.Version, rev) {
			extra = append(extra, "commit "+rev)
		}
		if i.Time != "" {
			extra = append(extra, i.Time)
		}
		if i.Modified && !strings.HasSuffix(i.Version, "+dirty") {
			extra = append(extra, "modified")
		}
	}
	if len(extra) == 0 {
		return i.Version
	}
	return i.Version + " (" + strings.Join(extra, ", ") + ")"
}

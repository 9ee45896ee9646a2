// Package buildinfo says which build of tollgate is running: the module
// version and the VCS revision the Go toolchain stamped into the binary.
// The CLI prints it (tollgate --version) and the MCP server reports it as
// serverInfo.version.
package buildinfo

import (
	"runtime/debug"
	"strings"
)

// Version is the module version ("v1.4.0"; "dev" for a build outside a
// released module) with the VCS revision as semver build metadata when
// the binary carries one ("dev+3f2a9c1e4b7d", "+...-dirty" when the tree
// had changes). A pseudo-version already names its revision.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	return fromBuildInfo(bi)
}

func fromBuildInfo(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "dev"
	}
	var rev string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" || strings.Contains(v, rev) {
		return v
	}
	sep := "+"
	if strings.Contains(v, "+") {
		sep = "."
	}
	v += sep + rev
	if dirty {
		v += "-dirty"
	}
	return v
}

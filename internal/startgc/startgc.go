// Package startgc lets the garbage collector run less often while the
// tollgate command starts, and restores it once the command is under way.
//
// A start allocates a few megabytes that are garbage within milliseconds
// (package initialisation, the catalogue, the MCP server's tables), and
// at the runtime's default (GOGC=100, a 4 MB first goal) that costs two
// collections before `serve` answers its first request: about 3 ms of a
// 14 ms start on a 2-core machine. Importing this package raises the
// collector's percentage to [StartPercent] during package initialisation
// (its init runs before the heavy ones: it depends only on the runtime
// and sorts before them); [End] puts back what was there. Nothing is
// changed when the GOGC environment variable is set: the user's setting
// holds from the first allocation.
//
// A command must call End once its start is over: `serve` does it when
// it gives the start's garbage back (after its first requests), every
// other command before it runs.
package startgc

import (
	"runtime/debug"
	"sync"
	"syscall"
)

// StartPercent is the collector's percentage (GOGC) while a command starts.
const StartPercent = 400

var (
	prev = -1 // the percentage before init; -1 when init changed nothing
	once sync.Once
)

func init() {
	if _, set := syscall.Getenv("GOGC"); set {
		return
	}
	prev = debug.SetGCPercent(StartPercent)
}

// End restores the collector's percentage as it was before the start.
// Later calls do nothing.
func End() {
	once.Do(func() {
		if prev >= 0 {
			debug.SetGCPercent(prev)
		}
	})
}

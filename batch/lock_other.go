//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package batch

import "os"

// lockFile does nothing where flock is not available: do not run two
// batches on the same output file there.
func lockFile(*os.File) error { return nil }

func unlockFile(*os.File) {}

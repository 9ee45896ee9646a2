//go:build !linux

package bench

import (
	"errors"
	"time"
)

// supported reports whether this system has what the harness reads
// (/proc and getrusage): only Linux does.
const supported = false

func cpuTime() time.Duration { return 0 }

func procStatus(int, string) (int64, error) { return 0, errors.New("bench: /proc is Linux only") }

func procCPU(int) (time.Duration, error) { return 0, errors.New("bench: /proc is Linux only") }

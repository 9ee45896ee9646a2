package startgc

import (
	"os"
	"runtime/debug"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// percent reads the collector's percentage without changing it.
func percent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// runs counts the runs of TestEndRestoresThePercentageOnce in this
// process (go test -count=N runs it N times; init ran once).
var runs int

func TestEndRestoresThePercentageOnce(t *testing.T) {
	if _, set := os.LookupEnv("GOGC"); set {
		if prev != -1 {
			t.Fatalf("GOGC is set, yet init changed the percentage (prev %d)", prev)
		}
		t.Skip("GOGC is set: init changes nothing")
	}
	if runs++; runs > 1 {
		// A later run: start again as init did.
		once = sync.Once{}
		prev = debug.SetGCPercent(StartPercent)
	}
	if got := percent(); got != StartPercent {
		t.Fatalf("during the start the percentage is %d, want %d", got, StartPercent)
	}
	End()
	if got := percent(); got != prev {
		t.Fatalf("after End the percentage is %d, want %d (what it was)", got, prev)
	}
	debug.SetGCPercent(250)
	defer debug.SetGCPercent(prev)
	End()
	if got := percent(); got != 250 {
		t.Errorf("a second End changed the percentage to %d", got)
	}
}

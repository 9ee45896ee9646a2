package startgc

import (
	"os"
	"runtime/debug"
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

func TestEndRestoresThePercentageOnce(t *testing.T) {
	if _, set := os.LookupEnv("GOGC"); set {
		if prev != -1 {
			t.Fatalf("GOGC is set, yet init changed the percentage (prev %d)", prev)
		}
		t.Skip("GOGC is set: init changes nothing")
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

package bufpool_test

import (
	"bytes"
	"testing"

	"go.uber.org/goleak"

	"github.com/tollgate-mcp/tollgate/internal/bufpool"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestGetGivesEmptyBuffersAndOversizeOnesAreDropped checks the two
// promises: whatever Get returns is empty, and a buffer that grew past
// Max never comes back.
func TestGetGivesEmptyBuffersAndOversizeOnesAreDropped(t *testing.T) {
	p := &bufpool.Pool{Max: 1 << 10}
	big := bytes.NewBuffer(make([]byte, 0, 4<<10))
	big.WriteString("large")
	p.Put(big)
	kept := 0
	for range 100 {
		b := p.Get()
		if b == big {
			t.Fatal("Get returned a buffer larger than Max")
		}
		if b.Len() != 0 {
			t.Fatalf("Get returned a buffer holding %q", b.Bytes())
		}
		b.WriteString("small")
		p.Put(b)
		if p.Get() == b {
			kept++
		}
	}
	// sync.Pool may drop any buffer (the race detector drops a quarter
	// on purpose), but not nearly all of them.
	if kept == 0 {
		t.Error("no buffer within Max was ever reused")
	}
}

package bench

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestSpreadOf(t *testing.T) {
	for _, tt := range []struct {
		in   []float64
		want Spread
	}{
		{nil, Spread{}},
		{[]float64{3}, Spread{3, 3, 3, 1}},
		{[]float64{5, 1, 3}, Spread{1, 3, 5, 3}},
		{[]float64{4, 1, 2, 3}, Spread{1, 2.5, 4, 4}},
	} {
		if got := SpreadOf(tt.in); got != tt.want {
			t.Errorf("SpreadOf(%v) = %+v; want %+v", tt.in, got, tt.want)
		}
	}
}

func TestRatiosArePairedByRound(t *testing.T) {
	got := Ratios([]float64{2, 9, 6, 1}, []float64{1, 3, 0})
	want := []float64{2, 3} // the third round's baseline is 0, the fourth has none
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("Ratios = %v; want %v", got, want)
	}
}

func TestPercentileNearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i))
	}
	for _, tt := range []struct {
		p    float64
		want time.Duration
	}{{50, 50}, {99, 99}, {100, 100}, {0.5, 1}} {
		if got := Percentile(ds, tt.p); got != tt.want {
			t.Errorf("Percentile(1..100, %v) = %v; want %v", tt.p, got, tt.want)
		}
	}
	if Percentile(nil, 50) != 0 {
		t.Error("Percentile of nothing is not 0")
	}
}

// TestInProcessSections runs the CPU, load and parse sections at their
// smallest: every comparison must produce its row, from real calls.
func TestInProcessSections(t *testing.T) {
	if !supported {
		t.Skip("Linux only")
	}
	var log bytes.Buffer
	rep, err := Run(context.Background(), Config{
		Only:   []string{SectionCPU, SectionMCP, SectionParse},
		Rounds: 2, Calls: 3, Sessions: []int{1, 2}, LoadRounds: 1, LoadDuration: 50 * time.Millisecond,
		Log: &log,
	})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, log.String())
	}
	var out bytes.Buffer
	rep.Markdown(&out)
	for _, want := range []string{"`runtime.Client.Do` vs a raw", "`Toolbox.Call` vs raw GET", "vs `Client.Do`",
		"calls/s, 1 session", "`tools.Parse`", "| 2 | "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report has no %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(rep.Env, "34") || !strings.Contains(rep.Env, "20 rows") {
		t.Errorf("Env = %q; want the page's size and rows", rep.Env)
	}
	for _, s := range rep.Scaling {
		if s.Calls[0] == 0 || s.Calls[1] == 0 || s.Failed[0]+s.Failed[1] > 0 {
			t.Errorf("load at %d sessions: %+v", s.Sessions, s)
		}
	}
}

// TestSpawnedServers drives the bare server's binary the way the start
// and RSS sections drive both servers: over stdio and over HTTP.
func TestSpawnedServers(t *testing.T) {
	if !supported {
		t.Skip("Linux only")
	}
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), "baremcp")
	build := exec.Command("go", "build", "-o", bin, "./bare/baremcp")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	wall, cpu, n, err := startToList(bin)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || wall <= 0 || cpu <= 0 || cpu > 10*time.Second {
		t.Errorf("startToList = %v, %v CPU, %d tools; want the one tool", wall, cpu, n)
	}
	cfg := &Config{Settle: time.Millisecond}
	rss, err := idleRSS(cfg, "", bin)
	if err != nil || rss.total < 1<<20 || rss.anon <= 0 || rss.anon >= rss.total {
		t.Errorf("idle RSS over stdio = %+v, %v", rss, err)
	}
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	rss, err = idleRSS(cfg, addr, bin, "-http", addr)
	if err != nil || rss.total < 1<<20 || rss.anon <= 0 || rss.anon >= rss.total {
		t.Errorf("idle RSS over HTTP = %+v, %v", rss, err)
	}
}

func TestUnknownSection(t *testing.T) {
	if !supported {
		t.Skip("Linux only")
	}
	if _, err := Run(context.Background(), Config{Only: []string{"speed"}}); err == nil || !strings.Contains(err.Error(), `"speed"`) {
		t.Fatalf("Run with an unknown section: %v", err)
	}
}

func TestModuleDirOutsideACheckout(t *testing.T) {
	t.Chdir(t.TempDir())
	if _, err := moduleDir(context.Background()); err == nil || !strings.Contains(err.Error(), "checkout") {
		t.Fatalf("moduleDir outside the module: %v", err)
	}
}

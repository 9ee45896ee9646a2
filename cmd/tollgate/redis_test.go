package main

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/internal/redistest"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// testRedis returns the URL of a Redis for t ($TOLLGATE_TEST_REDIS_URL, or
// a redis-server of t's own without persistence, stopped when t ends) and
// a fresh budget name whose keys are deleted when t ends. It skips t when
// there is no Redis.
func testRedis(t *testing.T) (url, name string) {
	t.Helper()
	url = redistest.URL(t)
	var b [4]byte
	_, _ = crand.Read(b[:])
	name = "t-" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		c := rawRedis(t, url)
		defer c.Close()
		ctx := context.Background()
		if keys, _ := c.Keys(ctx, budget.DefaultRedisPrefix+"{"+name+"}*").Result(); len(keys) > 0 {
			c.Del(ctx, keys...)
		}
	})
	return url, name
}

func rawRedis(t *testing.T, url string) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	return redis.NewClient(opts)
}

// seedSpent records spent credits in the shared budget, as earlier
// processes of the group would have.
func seedSpent(t *testing.T, url, name string, spent int64) {
	t.Helper()
	s, err := budget.OpenRedisStore(context.Background(), url, name, budget.RedisOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Update(context.Background(), func(l *budget.Ledger) error { l.Spent = spent; return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestUsageWithABudgetSharedInRedis(t *testing.T) {
	url, name := testRedis(t)
	seedSpent(t, url, name, 400)
	for _, tt := range []struct {
		how  string
		env  map[string]string
		args []string
	}{
		{"flag", nil, []string{"--budget-redis", url, "--budget-name", name}},
		{"environment", map[string]string{envBudgetRedis: url}, []string{"--budget-name", name}},
	} {
		t.Run(tt.how, func(t *testing.T) {
			c, out, errb := testCLI(tt.env)
			args := append([]string{"usage", "--sandbox", "--json", "--max-credits", "1000"}, tt.args...)
			if code := run(context.Background(), c, args); code != exitOK {
				t.Fatalf("exit %d: %s", code, errb)
			}
			var rep struct {
				Budget struct {
					RunSpent  int64 `json:"runSpent"`
					RunCap    int64 `json:"runCap"`
					Available int64 `json:"available"`
					InFlight  int64 `json:"inFlight"`
				} `json:"budget"`
			}
			if err := json.Unmarshal([]byte(out.String()), &rep); err != nil {
				t.Fatalf("%v:\n%s", err, out)
			}
			if b := rep.Budget; b.RunSpent != 400 || b.RunCap != 1000 || b.Available != 600 || b.InFlight != 0 {
				t.Errorf("budget = %+v, want the group's 400 of 1000 spent and 600 available", b)
			}
		})
	}
	// The usage run's Refresh wrote the balance to the shared ledger, and
	// its Close left no hold or lease behind.
	raw := rawRedis(t, url)
	defer raw.Close()
	key := budget.DefaultRedisPrefix + "{" + name + "}"
	ledger, err := raw.Get(context.Background(), key).Result()
	if err != nil || !strings.Contains(ledger, `"balanceKnown":true`) || !strings.Contains(ledger, `"spent":400`) {
		t.Errorf("ledger in Redis = %s (%v)", ledger, err)
	}
	if keys := raw.Keys(context.Background(), key+":*").Val(); len(keys) != 0 {
		t.Errorf("keys left behind: %v", keys)
	}
}

func TestBudgetRedisErrorsExit2NamingTheFlag(t *testing.T) {
	for _, tt := range []struct {
		how  string
		env  map[string]string
		args []string
		want string
	}{
		{"not a Redis URL", nil, []string{"--budget-redis", "http://:hunter2@localhost:6379"}, "--budget-redis: budget: invalid Redis URL"},
		{"unparsable URL", nil, []string{"--budget-redis", "redis://:hunter2@localhost:port"}, "--budget-redis: budget: invalid Redis URL"},
		{"nobody listening", nil, []string{"--budget-redis", "redis://:hunter2@" + redistest.FreeAddr(t)}, "--budget-redis: budget: cannot reach Redis at redis://:xxxxx@127.0.0.1:"},
		{"from the environment", map[string]string{envBudgetRedis: "http://x"}, nil, "--budget-redis (from $" + envBudgetRedis + "): budget: invalid Redis URL"},
		{"bad name", nil, []string{"--budget-redis", "redis://localhost:6379", "--budget-name", "a b"}, "--budget-name: budget: invalid Redis budget name"},
	} {
		t.Run(tt.how, func(t *testing.T) {
			c, out, errb := testCLI(tt.env)
			args := append([]string{"usage", "--sandbox", "--json"}, tt.args...)
			if code := run(context.Background(), c, args); code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitUsage, errb)
			}
			if s := errb.String(); !strings.Contains(s, tt.want) || strings.Contains(s, "hunter2") {
				t.Errorf("stderr = %q, want it to contain %q and no password", s, tt.want)
			}
			if out.String() != "" {
				t.Errorf("stdout = %q", out)
			}
		})
	}
}

// TestBatchRunsShareOneCapThroughRedis runs two batch processes at once
// against one workspace with one shared cap of 55 credits: together they
// do five 10-credit calls, both stop at the cap, and nothing is left
// held.
func TestBatchRunsShareOneCapThroughRedis(t *testing.T) {
	url, name := testRedis(t)
	api := startBatchAPI(t, 5*time.Millisecond)
	dir := t.TempDir()
	type result struct {
		code   int
		stderr *batchBuffer
		out    string
	}
	results := make([]result, 2)
	var wg sync.WaitGroup
	for i := range results {
		d := filepath.Join(dir, string(rune('a'+i)))
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		in := writeCalls(t, d, 12, 10)
		results[i].out = filepath.Join(d, "out.jsonl")
		c, _, stderr := batchCLI(api, "")
		results[i].stderr = stderr
		// --no-cache: with the cache (shared through the same Redis) one
		// process would be answered the other's pages; this is about the cap.
		args := []string{"batch", "--in", in, "--out", results[i].out, "--max-credits", "55", "--concurrency", "3",
			"--progress-every", "0", "--budget-redis", url, "--budget-name", name, "--no-cache"}
		wg.Go(func() { results[i].code = run(context.Background(), c, args) })
	}
	wg.Wait()
	done := 0
	for i, r := range results {
		if r.code != exitCap {
			t.Errorf("process %d: exit %d, want %d; stderr:\n%s", i, r.code, exitCap, r.stderr)
		}
		for _, l := range readOut(t, r.out, false) {
			if l.OK {
				done++
			}
		}
	}
	spent := api.sb.Spent(sandbox.DemoKey)
	if spent != 50 || done != 5 {
		t.Errorf("the API charged %d for %d calls; want 50 for 5 (the shared cap is 55)", spent, done)
	}
	if n := api.s402.Load(); n != 0 {
		t.Errorf("the API answered 402 %d times", n)
	}
	s, err := budget.OpenRedisStore(context.Background(), url, name, budget.RedisOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if l, err := s.Load(context.Background()); err != nil || l.Spent != 50 || l.InFlight != 0 {
		t.Errorf("shared ledger = %+v (%v), want 50 spent and nothing in flight", l, err)
	}
}

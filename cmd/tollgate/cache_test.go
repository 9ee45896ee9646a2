package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tollgate-mcp/tollgate/internal/redistest"
	"github.com/tollgate-mcp/tollgate/redisstore"
)

// TestTwoProcessesShareCachedAnswersThroughRedis runs two tollgate batch
// processes one after the other with --cache-redis: the second makes
// the first one's calls again and none of them reaches the API.
func TestTwoProcessesShareCachedAnswersThroughRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	url := redistest.URL(t)
	t.Cleanup(func() {
		c := rawRedis(t, url)
		defer c.Close()
		if keys, _ := c.Keys(context.Background(), redisstore.DefaultCachePrefix+"*").Result(); len(keys) > 0 {
			c.Del(context.Background(), keys...)
		}
	})
	bin := tollgateBinary(t)
	api := startBatchAPI(t, 0)
	dir := t.TempDir()
	in := writeCalls(t, dir, 6, 5)
	batch := func(out string) []outLine {
		t.Helper()
		cmd := exec.Command(bin, "batch", "--in", in, "--out", filepath.Join(dir, out), "--progress-every", "0", "--cache-redis", url)
		cmd.Env = batchEnv(t, api)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("batch: %v\n%s", err, b)
		}
		return readOut(t, filepath.Join(dir, out), false)
	}
	first := batch("first.jsonl")
	paid := api.calls.Load()
	if len(first) != 6 || paid != 6 {
		t.Fatalf("first process: %d lines, %d API calls; want 6 and 6", len(first), paid)
	}
	second := batch("second.jsonl")
	if api.calls.Load() != paid {
		t.Errorf("the second process made %d API calls; every answer was in Redis", api.calls.Load()-paid)
	}
	for _, l := range second {
		var r struct {
			Metering struct {
				Cached bool  `json:"cached"`
				Cost   int64 `json:"cost"`
			} `json:"metering"`
			Data []json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(l.Result, &r); err != nil || !r.Metering.Cached || r.Metering.Cost != 0 || len(r.Data) != 5 {
			t.Errorf("%s: %s", l.ID, l.Result)
		}
	}
	// --no-cache calls the API again.
	cmd := exec.Command(bin, "batch", "--in", in, "--out", filepath.Join(dir, "third.jsonl"), "--progress-every", "0", "--cache-redis", url, "--no-cache")
	cmd.Env = batchEnv(t, api)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("batch --no-cache: %v\n%s", err, b)
	}
	if got := api.calls.Load() - paid; got != 6 {
		t.Errorf("--no-cache made %d API calls, want 6", got)
	}
}

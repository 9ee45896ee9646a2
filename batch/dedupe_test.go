package batch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/tollgate-mcp/tollgate/batch"
)

// dupJobs are eight jobs holding three distinct calls: two searches (one
// written in four ways) and a get_ad of an id that does not exist.
func dupJobs() []batch.Job {
	j := func(id, tool string, args map[string]any) batch.Job {
		return batch.Job{ID: json.RawMessage(id), Tool: tool, Args: args}
	}
	return []batch.Job{
		j(`"a1"`, "search_ads", map[string]any{"search": "coffee", "limit": json.Number("5")}),
		j(`"b1"`, "search_ads", map[string]any{"search": "coffee", "limit": 5, "page": 2}),
		j(`"a2"`, "search_ads", map[string]any{"limit": 5.0, "search": "coffee"}),
		j(`"a3"`, "search_ads", map[string]any{"search": "coffee", "limit": 5, "page": 1, "platform": "all"}),
		j(`"m1"`, "get_ad", map[string]any{"adId": "facebook_missing"}),
		j(`"a4"`, "search_ads", map[string]any{"search": "coffee", "limit": 5, "sortBy": "relevance"}),
		j(`"m2"`, "get_ad", map[string]any{"adId": "facebook_missing"}),
		j(`"c1"`, "search_ads", map[string]any{"search": "coffee", "limit": 5, "fields": []any{"id"}}),
	}
}

func TestIdenticalCallsOfABatchRunOnce(t *testing.T) {
	e := newEnv(t, envConfig{noCache: true}) // the batch's own dedupe, without the cache's help
	jobs := dupJobs()
	path := outPath(t)
	// One call at a time: run concurrently, a1 and c1 would also share
	// one API call in the toolbox (they differ only in fields).
	sum, err := batch.Run(context.Background(), e.box, jobs, openOut(t, path), batch.Options{Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	// a1..a4 are one call; b1, m1/m2 and c1 (other fields: another
	// answer) are three more.
	if got := e.requests(); got != 4 {
		t.Errorf("%d API requests for 4 distinct calls", got)
	}
	if !sum.Complete || sum.Done != 8 || sum.Deduplicated != 4 || sum.Spent != 15 || sum.Failed != 2 {
		t.Errorf("summary = %+v; want 8 done, 4 of them from an identical call, 15 credits, 2 failures", sum)
	}
	lines := readLines(t, path)
	checkExactlyOnce(t, lines, jobIDs(jobs))
	var raw map[string]json.RawMessage
	byID := map[string]line{}
	for _, l := range lines {
		byID[string(l.ID)] = l
	}
	leader := byID[`"a1"`]
	for _, id := range []string{`"a2"`, `"a3"`, `"a4"`} {
		l := byID[id]
		if !l.OK || l.Result == nil || string(l.Result.Data) != string(leader.Result.Data) {
			t.Errorf("%s does not hold a1's answer", id)
			continue
		}
		if m := l.Result.Metering; m == nil || *m.Cost != 0 || !m.Shared {
			t.Errorf("%s metering = %+v; want cost 0, shared", id, m)
		}
	}
	if m := leader.Result.Metering; *m.Cost != 5 || m.Shared {
		t.Errorf("the leader's metering = %+v", m)
	}
	if m2 := byID[`"m2"`]; m2.OK || m2.Error == nil || m2.Error.Code != "not_found" {
		t.Errorf("m2 = %+v; want m1's failure", m2)
	}
	// The line names the id that made the call.
	data := rawLine(t, path, `"a3"`)
	if err := json.Unmarshal(data, &raw); err != nil || string(raw["sameAs"]) != `"a1"` {
		t.Errorf("a3's line: %s", data)
	}
}

func TestAResumedBatchStillRunsIdenticalCallsOnce(t *testing.T) {
	e := newEnv(t, envConfig{noCache: true})
	jobs := dupJobs()
	path := outPath(t)
	// A first run was stopped after a1 and m1 were written, before their
	// followers.
	first := []batch.Job{jobs[0], jobs[4]}
	out := openOut(t, path)
	if _, err := batch.Run(context.Background(), e.box, first, out, batch.Options{}); err != nil {
		t.Fatal(err)
	}
	out.Close()
	before := e.requests()
	sum, err := batch.Run(context.Background(), e.box, jobs, openOut(t, path), batch.Options{Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.requests() - before; got != 2 {
		t.Errorf("the resumed run made %d API requests; only b1 and c1 were not asked before", got)
	}
	if !sum.Complete || sum.Skipped != 2 || sum.Deduplicated != 4 {
		t.Errorf("summary = %+v; want complete, 2 skipped, 4 written from lines already there", sum)
	}
	checkExactlyOnce(t, readLines(t, path), jobIDs(jobs))
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(rawLine(t, path, `"m2"`), &raw); err != nil || string(raw["sameAs"]) != `"m1"` {
		t.Errorf("m2's line: %s", rawLine(t, path, `"m2"`))
	}
}

func TestFollowersOfAHaltedCallAreLeftForTheNextRun(t *testing.T) {
	e := newEnv(t, envConfig{maxCredits: 4})
	jobs := dupJobs()[:4] // a1, b1, a2, a3: 5 credits each, a cap of 4
	path := outPath(t)
	sum, err := batch.Run(context.Background(), e.box, jobs, openOut(t, path), batch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Halt == nil || sum.Done != 0 || sum.Left != 4 {
		t.Errorf("summary = %+v; want a halt with every id left", sum)
	}
}

// rawLine returns the output line of id as written.
func rawLine(t *testing.T, path, id string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range bytes.Split(b, []byte("\n")) {
		var rec struct{ ID json.RawMessage }
		if json.Unmarshal(l, &rec) == nil && string(rec.ID) == id {
			return l
		}
	}
	t.Fatalf("no line for %s", id)
	return nil
}

package batch_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/batch"
	"github.com/tollgate-mcp/tollgate/budget"
)

// rowIDs returns the row ids of the crawl's lines, in page order.
func rowIDs(t *testing.T, lines []line, tool string) []string {
	t.Helper()
	byID := map[string]line{}
	for _, l := range lines {
		byID[string(l.ID)] = l
	}
	var ids []string
	for p := 1; ; p++ {
		l, ok := byID[string(batch.CrawlID(tool, p))]
		if !ok {
			break
		}
		var rows []struct{ ID string }
		if err := json.Unmarshal(l.Result.Data, &rows); err != nil {
			t.Fatalf("page %d: %v", p, err)
		}
		for _, r := range rows {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

func TestCrawlFollowsPaginationToTheEnd(t *testing.T) {
	e := newEnv(t, envConfig{})
	path := outPath(t)
	out := openOut(t, path)
	args := map[string]any{"search": "matcha", "limit": json.Number("5")} // 17 ads: 4 pages
	var last batch.Progress
	sum, err := batch.Crawl(context.Background(), e.box, "search_ads", args, out, batch.Options{Progress: func(p batch.Progress) { last = p }})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Complete || sum.Done != 4 || sum.Total != 4 || sum.Left != 0 || sum.Spent != 17 {
		t.Errorf("summary = %+v, want 4 pages for 17 credits", sum)
	}
	if last.Done != 4 || last.Total != 4 {
		t.Errorf("last progress = %+v", last)
	}
	lines := readLines(t, path)
	var want []json.RawMessage
	for p := 1; p <= 4; p++ {
		want = append(want, batch.CrawlID("search_ads", p))
	}
	checkExactlyOnce(t, lines, want)
	if string(lines[0].ID) != `"search_ads#p1"` || fmt.Sprint(lines[0].Args["search"]) != "matcha" || fmt.Sprint(lines[2].Args["page"]) != "3" {
		t.Errorf("first line %s args %v; third args %v", lines[0].ID, lines[0].Args, lines[2].Args)
	}
	ids := rowIDs(t, lines, "search_ads")
	if len(ids) != 17 || len(uniq(ids)) != 17 {
		t.Errorf("%d rows, %d distinct, want 17", len(ids), len(uniq(ids)))
	}

	// Crawling again finds it finished and makes no call.
	before := e.requests()
	sum, err = batch.Crawl(context.Background(), e.box, "search_ads", args, out, batch.Options{})
	if err != nil || !sum.Complete || sum.Skipped != 4 || sum.Done != 0 || e.requests() != before {
		t.Errorf("second crawl: %+v, %v, %d new requests", sum, err, e.requests()-before)
	}
}

func TestCrawlStopsAtTheCapAndResumesWhereItStopped(t *testing.T) {
	e := newEnv(t, envConfig{maxCredits: 12})
	path := outPath(t)
	out := openOut(t, path)
	args := map[string]any{"search": "matcha", "limit": json.Number("5")}
	sum, err := batch.Crawl(context.Background(), e.box, "search_ads", args, out, batch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Halt == nil || sum.Halt.Error.Code != budget.CodeCapReached || sum.Done != 2 || sum.Spent != 10 || sum.Complete {
		t.Fatalf("summary = %+v, want a halt after 2 pages", sum)
	}
	if sum.Total != 4 || sum.Left != 2 || string(sum.LeftIDs[0]) != `"search_ads#p3"` {
		t.Errorf("summary = %+v, want 4 pages of which 2 left, next p3", sum)
	}
	if n := e.status(402); n != 0 {
		t.Errorf("%d responses were 402", n)
	}

	_, box := e.stack(envConfig{maxCredits: 100})
	sum, err = batch.Crawl(context.Background(), box, "search_ads", args, out, batch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Complete || sum.Skipped != 2 || sum.Done != 2 || sum.Spent != 7 {
		t.Errorf("resumed summary = %+v, want pages 3 and 4 for 7 credits", sum)
	}
	ids := rowIDs(t, readLines(t, path), "search_ads")
	if len(ids) != 17 || len(uniq(ids)) != 17 {
		t.Errorf("%d rows, %d distinct, want the 17 ads once each", len(ids), len(uniq(ids)))
	}
}

func TestCrawlFollowsOffsetPaging(t *testing.T) {
	e := newEnv(t, envConfig{})
	path := outPath(t)
	out := openOut(t, path)
	sum, err := batch.Crawl(context.Background(), e.box, "search_shops", map[string]any{"limit": 4}, out, batch.Options{MaxPages: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Complete || sum.Done != 3 {
		t.Fatalf("summary = %+v, want 3 pages (MaxPages)", sum)
	}
	lines := readLines(t, path)
	for i, l := range lines {
		if got := fmt.Sprint(l.Args["offset"]); i > 0 && got != fmt.Sprint(4*i) {
			t.Errorf("page %d offset = %s, want %d", i+1, got, 4*i)
		}
	}
	if ids := rowIDs(t, lines, "search_shops"); len(uniq(ids)) != 12 {
		t.Errorf("%d distinct shops, want 12", len(uniq(ids)))
	}
}

func TestCrawlRefusesAnOutputOfAnotherBatch(t *testing.T) {
	e := newEnv(t, envConfig{})
	path := outPath(t)
	out := openOut(t, path)
	args := map[string]any{"search": "matcha", "limit": 5}
	if _, err := batch.Crawl(context.Background(), e.box, "search_ads", args, out, batch.Options{MaxPages: 1}); err != nil {
		t.Fatal(err)
	}
	var oe *batch.OutputError
	_, err := batch.Crawl(context.Background(), e.box, "search_ads", map[string]any{"search": "coffee", "limit": 5}, out, batch.Options{})
	if !errors.As(err, &oe) {
		t.Errorf("other args: err = %v, want an *OutputError", err)
	}
	_, err = batch.Crawl(context.Background(), e.box, "search_shops", nil, out, batch.Options{})
	if !errors.As(err, &oe) {
		t.Errorf("other tool: err = %v, want an *OutputError", err)
	}
	var ie *batch.InputError
	if _, err := batch.Crawl(context.Background(), e.box, "get_ad", nil, out, batch.Options{}); !errors.As(err, &ie) {
		t.Errorf("a tool that does not page: err = %v, want an *InputError", err)
	}
}

func TestCrawlCancelFinishesThePageInFlight(t *testing.T) {
	e := newEnv(t, envConfig{latency: 50 * time.Millisecond})
	path := outPath(t)
	out := openOut(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sum, err := batch.Crawl(ctx, e.box, "search_ads", map[string]any{"search": "coffee", "limit": 5}, out, batch.Options{Progress: func(p batch.Progress) {
		if p.InFlight > 0 && p.Done == 1 {
			cancel()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Interrupted || sum.Done != 2 || string(sum.LeftIDs[0]) != `"search_ads#p3"` {
		t.Errorf("summary = %+v, want page 2 finished and p3 left", sum)
	}
	if n := len(readLines(t, path)); n != 2 {
		t.Errorf("%d lines, want 2", n)
	}
}

func uniq(s []string) map[string]bool {
	m := map[string]bool{}
	for _, v := range s {
		m[v] = true
	}
	return m
}

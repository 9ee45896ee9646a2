package batch_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/batch"
	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
	"github.com/tollgate-mcp/tollgate/tools"
)

// anAdID returns the id of an ad the sandbox has.
func anAdID(t *testing.T, e *env) string {
	t.Helper()
	r := e.box.Call(context.Background(), "search_ads", map[string]any{"search": "coffee", "limit": 1})
	s, ok := r.Structured.(*tools.Success)
	if !ok {
		t.Fatalf("search_ads: %s", r.JSON())
	}
	var rows []struct{ ID string }
	if err := json.Unmarshal(s.Data, &rows); err != nil || len(rows) != 1 {
		t.Fatalf("search_ads data: %s", s.Data)
	}
	return rows[0].ID
}

func TestRunWritesEachResultOrFinalFailureOnce(t *testing.T) {
	e := newEnv(t, envConfig{})
	ad := anAdID(t, e)
	jobs := []batch.Job{
		{ID: json.RawMessage(`"search"`), Tool: "search_ads", Args: map[string]any{"search": "coffee", "limit": 3}},
		{ID: json.RawMessage(`7`), Tool: "get_ad", Args: map[string]any{"adId": ad}},
		{ID: json.RawMessage(`1.50`), Tool: "get_ad", Args: map[string]any{"adId": "facebook_0000"}},
		{ID: json.RawMessage(`"bad-args"`), Tool: "search_ads", Args: map[string]any{"search": "coffee", "limit": 500}},
		{ID: json.RawMessage(`"free"`), Tool: "lookup", Args: map[string]any{"q": "coffee"}},
		{ID: json.RawMessage(`"own"`), Tool: "get_budget"},
	}
	path := outPath(t)
	out := openOut(t, path)
	var seen []batch.Progress
	sum, err := batch.Run(context.Background(), e.box, jobs, out, batch.Options{Concurrency: 3, Progress: func(p batch.Progress) { seen = append(seen, p) }})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Complete || sum.Done != 6 || sum.Failed != 2 || sum.Left != 0 || sum.Halt != nil || sum.Fatal != nil {
		t.Errorf("summary = %+v, want 6 done of which 2 failed, complete", sum)
	}
	if sum.Spent != 4 { // 3 rows + 1 ad; the 404 and the refused call cost nothing
		t.Errorf("Spent = %d, want 4", sum.Spent)
	}
	lines := readLines(t, path)
	checkExactlyOnce(t, lines, jobIDs(jobs))
	byID := map[string]line{}
	for _, l := range lines {
		byID[string(l.ID)] = l
	}
	if l := byID[`"search"`]; !l.OK || l.Tool != "search_ads" || l.Result == nil || l.Result.Pagination == nil || l.Result.NextPage == nil || l.Error != nil {
		t.Errorf("search line = %+v", l)
	}
	if l := byID[`1.50`]; l.OK || l.Error == nil || l.Error.Code != runtime.CodeNotFound || l.Error.Action == "" || l.Budget == nil {
		t.Errorf("not-found line = %+v (its id must stay 1.50)", l)
	}
	if l := byID[`"bad-args"`]; l.OK || l.Error == nil || l.Error.Code != tools.CodeInvalidArguments {
		t.Errorf("invalid-arguments line = %+v", l)
	}
	if len(seen) < 2 || seen[len(seen)-1].Done != 6 || seen[len(seen)-1].Total != 6 || seen[0].Done != 0 {
		t.Errorf("progress = %+v", seen)
	}
}

func TestRunResumeSkipsIDsAlreadyDone(t *testing.T) {
	e := newEnv(t, envConfig{})
	jobs := searchJobs(10, 2)
	path := outPath(t)

	out, err := batch.OpenOutput(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := batch.Run(context.Background(), e.box, jobs[:4], out, batch.Options{}); err != nil {
		t.Fatal(err)
	}
	out.Close()
	before := e.requests()

	out = openOut(t, path)
	sum, err := batch.Run(context.Background(), e.box, jobs, out, batch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Skipped != 4 || sum.Done != 6 || !sum.Complete {
		t.Errorf("summary = %+v, want 4 skipped and 6 done", sum)
	}
	if got := e.requests() - before; got != 6 {
		t.Errorf("the resumed run made %d requests, want 6", got)
	}
	checkExactlyOnce(t, readLines(t, path), jobIDs(jobs))
}

func TestRunStopsAtTheCapWithoutA402(t *testing.T) {
	e := newEnv(t, envConfig{maxCredits: 95})
	jobs := searchJobs(20, 10) // 10 credits each
	path := outPath(t)
	out := openOut(t, path)
	sum, err := batch.Run(context.Background(), e.box, jobs, out, batch.Options{Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Halt == nil || sum.Halt.Error.Code != budget.CodeCapReached || sum.Halt.Error.Source != budget.SourceBudget {
		t.Fatalf("Halt = %+v, want budget_cap_reached", sum.Halt)
	}
	if sum.Spent != 90 || sum.Done != 9 || sum.Left != 11 || len(sum.LeftIDs) != 11 || sum.Complete || sum.Interrupted {
		t.Errorf("summary = %+v, want 90 credits spent, 9 done, 11 left", sum)
	}
	// Four workers race for the last credits, so which nine finish is
	// theirs to decide; LeftIDs is every other id, in input order.
	done := map[string]bool{}
	for _, l := range readLines(t, path) {
		done[string(l.ID)] = true
	}
	var wantLeft []string
	for _, j := range jobs {
		if !done[string(j.ID)] {
			wantLeft = append(wantLeft, string(j.ID))
		}
	}
	var gotLeft []string
	for _, id := range sum.LeftIDs {
		gotLeft = append(gotLeft, string(id))
	}
	if !slices.Equal(gotLeft, wantLeft) {
		t.Errorf("LeftIDs = %v, want the ids not done, in input order: %v", gotLeft, wantLeft)
	}
	if sum.Budget == nil || sum.Budget.RunSpent != 90 || sum.Budget.CreditsRemaining == nil || sum.Budget.RefillAt == nil {
		t.Errorf("summary budget = %+v, want the run's spend, the balance and the refill date", sum.Budget)
	}
	if n := e.status(402); n != 0 {
		t.Errorf("%d responses were 402", n)
	}
	lines := readLines(t, path)
	for _, l := range lines {
		if !l.OK {
			t.Errorf("line %s failed: %+v (halts must not be written)", l.ID, l.Error)
		} else if len(l.Result.Notes) > 0 && strings.Contains(strings.Join(l.Result.Notes, " "), "limit lowered") {
			t.Errorf("line %s was shrunk to fit: %v", l.ID, l.Result.Notes)
		}
	}

	// A new process with a higher cap finishes the batch.
	_, box := e.stack(envConfig{maxCredits: 1000})
	sum2, err := batch.Run(context.Background(), box, jobs, out, batch.Options{Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !sum2.Complete || sum2.Skipped != 9 || sum2.Done != 11 || sum2.Spent != 110 {
		t.Errorf("resumed summary = %+v", sum2)
	}
	checkExactlyOnce(t, readLines(t, path), jobIDs(jobs))
	if n := e.status(402); n != 0 {
		t.Errorf("%d responses were 402", n)
	}
}

func TestRunStopsBeforeTheWorkspaceRunsDry(t *testing.T) {
	// No cap: only the workspace balance (and the floor) bind. With the
	// sandbox strict about reservations, one call too many would be a 402.
	e := newEnv(t, envConfig{credits: &sandbox.Credits{Recurring: 57}, reserve: 5})
	jobs := searchJobs(12, 10)
	out := openOut(t, outPath(t))
	sum, err := batch.Run(context.Background(), e.box, jobs, out, batch.Options{Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Halt == nil || sum.Halt.Error.Code != budget.CodeFloorReached {
		t.Fatalf("Halt = %+v, want budget_floor_reached", sum.Halt)
	}
	if sum.Done != 5 || sum.Spent != 50 {
		t.Errorf("summary = %+v, want 5 done for 50 credits (57 - 5 floor leaves 52)", sum)
	}
	if n := e.status(402); n != 0 {
		t.Errorf("%d responses were 402", n)
	}
}

func TestRunKeepsAtMostConcurrencyCallsInFlight(t *testing.T) {
	e := newEnv(t, envConfig{latency: 30 * time.Millisecond})
	jobs := searchJobs(12, 1)
	out := openOut(t, outPath(t))
	var mu sync.Mutex
	maxInFlight := 0
	sum, err := batch.Run(context.Background(), e.box, jobs, out, batch.Options{Concurrency: 3, Progress: func(p batch.Progress) {
		mu.Lock()
		maxInFlight = max(maxInFlight, p.InFlight)
		mu.Unlock()
	}})
	if err != nil || !sum.Complete {
		t.Fatalf("%+v, %v", sum, err)
	}
	if got := e.maxActive.Load(); got != 3 {
		t.Errorf("at most %d requests were at the server at once, want 3", got)
	}
	if maxInFlight > 3 {
		t.Errorf("progress reported %d in flight", maxInFlight)
	}
}

func TestRunCancelFinishesCallsInFlight(t *testing.T) {
	e := newEnv(t, envConfig{latency: 150 * time.Millisecond})
	jobs := searchJobs(20, 1)
	path := outPath(t)
	out := openOut(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancel as soon as the first calls are in flight.
	sum, err := batch.Run(ctx, e.box, jobs, out, batch.Options{Concurrency: 4, Progress: func(p batch.Progress) {
		if p.InFlight > 0 {
			cancel()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Interrupted || sum.Complete {
		t.Errorf("summary = %+v, want interrupted", sum)
	}
	lines := readLines(t, path)
	if len(lines) == 0 || len(lines) != sum.Done || sum.Done+sum.Left != 20 {
		t.Errorf("%d lines, summary %+v: the calls in flight must finish and be written", len(lines), sum)
	}
	for _, l := range lines {
		if !l.OK {
			t.Errorf("line %s: %+v (no call may be cancelled)", l.ID, l.Error)
		}
	}
	if got := e.requests(); got != len(lines) {
		t.Errorf("%d requests for %d lines: calls were started after the cancel or lost", got, len(lines))
	}
}

func TestRunLeavesRetryableFailuresForTheNextRun(t *testing.T) {
	e := newEnv(t, envConfig{})
	ad := anAdID(t, e)
	// Every attempt at this ad fails (the client tries twice).
	e.sb.Inject(sandbox.Fault{Kind: sandbox.FaultInternalError, Count: 2, PathPrefix: "/v1/ads/" + ad})
	jobs := append(searchJobs(3, 1), batch.Job{ID: json.RawMessage(`"ad"`), Tool: "get_ad", Args: map[string]any{"adId": ad}})
	path := outPath(t)
	out := openOut(t, path)
	sum, err := batch.Run(context.Background(), e.box, jobs, out, batch.Options{Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Done != 3 || sum.Retry != 1 || sum.Left != 1 || string(sum.LeftIDs[0]) != `"ad"` || sum.Complete || sum.Fatal != nil {
		t.Errorf("summary = %+v, want the ad left after a retryable failure", sum)
	}
	if n := len(readLines(t, path)); n != 3 {
		t.Errorf("%d lines, want 3 (the failed call is not done)", n)
	}
	sum, err = batch.Run(context.Background(), e.box, jobs, out, batch.Options{})
	if err != nil || !sum.Complete || sum.Done != 1 {
		t.Fatalf("second run: %+v, %v", sum, err)
	}
	checkExactlyOnce(t, readLines(t, path), jobIDs(jobs))
}

func TestRunStopsWhenCallsKeepFailing(t *testing.T) {
	e := newEnv(t, envConfig{})
	e.sb.SetFaults(sandbox.Faults{ErrorRate: 1})
	out := openOut(t, outPath(t))
	sum, err := batch.Run(context.Background(), e.box, searchJobs(30, 1), out, batch.Options{Concurrency: 1, MaxConsecutiveFailures: 3})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Fatal == nil || sum.Fatal.Error.Code != runtime.CodeInternalError || sum.Retry != 3 || sum.Left != 30 {
		t.Errorf("summary = %+v, want a stop after 3 failures", sum)
	}
}

func TestRunStopsAtTheFirstCredentialFailure(t *testing.T) {
	e := newEnv(t, envConfig{})
	_, box := e.stack(envConfig{key: sandbox.KeyRevoked})
	out := openOut(t, outPath(t))
	sum, err := batch.Run(context.Background(), box, searchJobs(30, 1), out, batch.Options{Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Fatal == nil || sum.Fatal.Error.Code != runtime.CodeCredentialRevoked || sum.Done != 0 || sum.Left != 30 {
		t.Errorf("summary = %+v, want a stop on credential_revoked", sum)
	}
	if n := e.requests(); n > 2 {
		t.Errorf("%d requests; the run should stop after the calls in flight", n)
	}
}

func TestRunChecksJobsBeforeAnyCall(t *testing.T) {
	e := newEnv(t, envConfig{})
	jobs := append(searchJobs(3, 1), batch.Job{ID: json.RawMessage(`"x"`), Tool: "no_such_tool", Line: 4})
	out := openOut(t, outPath(t))
	_, err := batch.Run(context.Background(), e.box, jobs, out, batch.Options{})
	var ie *batch.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), `line 4: there is no tool named "no_such_tool"`) {
		t.Fatalf("err = %v", err)
	}
	if n := e.requests(); n != 0 {
		t.Errorf("%d calls were made", n)
	}
}

func TestClassify(t *testing.T) {
	fail := func(a runtime.Advice) *tools.Result {
		return &tools.Result{IsError: true, Structured: &tools.Failure{Error: a}, Advice: &a}
	}
	for _, c := range []struct {
		r    *tools.Result
		want batch.Outcome
	}{
		{&tools.Result{Structured: &tools.Success{}}, batch.OutcomeOK},
		{fail(runtime.Advice{Code: runtime.CodeNotFound, HTTPStatus: 404, Source: "api"}), batch.OutcomeFailed},
		{fail(runtime.Advice{Code: runtime.CodeValidation, HTTPStatus: 400, Source: "api"}), batch.OutcomeFailed},
		{fail(runtime.Advice{Code: runtime.CodeForbidden, HTTPStatus: 403, Source: "api"}), batch.OutcomeFailed},
		{fail(runtime.Advice{Code: tools.CodeInvalidArguments, Source: tools.SourceTool}), batch.OutcomeFailed},
		{fail(runtime.Advice{Code: runtime.CodeRateLimited, HTTPStatus: 429, Retryable: true, Source: "api"}), batch.OutcomeRetry},
		{fail(runtime.Advice{Code: runtime.CodeInternalError, HTTPStatus: 500, Retryable: true, Source: "api"}), batch.OutcomeRetry},
		{fail(runtime.Advice{Code: runtime.CodeNetwork, Retryable: true, Source: "api"}), batch.OutcomeRetry},
		{fail(runtime.Advice{Code: runtime.CodeCanceled, Source: "api"}), batch.OutcomeRetry},
		{fail(runtime.Advice{Code: tools.CodeToolPanic, Source: tools.SourceTool}), batch.OutcomeRetry},
		{fail(runtime.Advice{Code: budget.CodeCapReached, Source: budget.SourceBudget}), batch.OutcomeHalt},
		{fail(runtime.Advice{Code: budget.CodeCallLimit, Source: budget.SourceBudget}), batch.OutcomeFailed},
		{fail(runtime.Advice{Code: budget.CodeStoreUnavailable, Source: budget.SourceBudget, Retryable: true}), batch.OutcomeHalt},
		{fail(runtime.Advice{Code: runtime.CodeInsufficientCredits, HTTPStatus: 402, Source: "api"}), batch.OutcomeHalt},
		{fail(runtime.Advice{Code: runtime.CodeInvalidAPIKey, HTTPStatus: 401, Source: "api"}), batch.OutcomeFatal},
		{fail(runtime.Advice{Code: runtime.CodeWorkspacePublicAPISuspended, HTTPStatus: 403, Source: "api"}), batch.OutcomeFatal},
	} {
		name := "ok"
		if c.r.Advice != nil {
			name = c.r.Advice.Code
		}
		if got := batch.Classify(c.r); got != c.want {
			t.Errorf("%s: Classify = %v, want %v", name, got, c.want)
		}
		if got := batch.Classify(c.r).Done(); got != (c.want == batch.OutcomeOK || c.want == batch.OutcomeFailed) {
			t.Errorf("%s: Done = %v", name, got)
		}
	}
}

func TestProgressRateAndETA(t *testing.T) {
	p := batch.Progress{Total: 100, Done: 30, Skipped: 10, Elapsed: 10 * time.Second}
	if p.Rate() != 2 {
		t.Errorf("Rate = %v, want 2", p.Rate())
	}
	if d, ok := p.ETA(); !ok || d != 35*time.Second {
		t.Errorf("ETA = %v, %v; want 35s", d, ok)
	}
	if _, ok := (batch.Progress{Total: 10}).ETA(); ok {
		t.Error("ETA without a rate")
	}
	_ = fmt.Sprint(p)
}

func TestRunDoesNotHoldBackCallsWithInvalidArguments(t *testing.T) {
	e := newEnv(t, envConfig{maxCredits: 10})
	jobs := []batch.Job{
		{ID: json.RawMessage(`"too-many-rows"`), Tool: "search_ads", Args: map[string]any{"search": "coffee", "limit": 500}},
		{ID: json.RawMessage(`"unknown-arg"`), Tool: "search_ads", Args: map[string]any{"search": "coffee", "limit": 50, "colour": "red"}},
	}
	path := outPath(t)
	sum, err := batch.Run(context.Background(), e.box, jobs, openOut(t, path), batch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Complete || sum.Halt != nil || sum.Failed != 2 {
		t.Errorf("summary = %+v, want both written as final failures", sum)
	}
	for _, l := range readLines(t, path) {
		if l.OK || l.Error.Code != tools.CodeInvalidArguments {
			t.Errorf("%s: %+v, want invalid_arguments", l.ID, l.Error)
		}
	}
}

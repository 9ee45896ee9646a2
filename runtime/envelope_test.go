package runtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

type row struct {
	ID string `json:"id"`
}

func decodeRows(t *testing.T, resp *runtime.Response) []row {
	t.Helper()
	var rows []row
	if err := json.Unmarshal(resp.Data, &rows); err != nil {
		t.Fatalf("data is not a list of rows: %v\n%s", err, resp.Data)
	}
	return rows
}

func checkEnvelope(t *testing.T, resp *runtime.Response) {
	t.Helper()
	if !resp.Enveloped || resp.Status != 200 || resp.Attempts != 1 {
		t.Errorf("Enveloped %v, status %d, attempts %d; want an enveloped 200 after 1 attempt", resp.Enveloped, resp.Status, resp.Attempts)
	}
	if resp.RequestID == "" || resp.RequestID != resp.Header.Get("X-Request-Id") {
		t.Errorf("RequestID %q, header %q; want the same id", resp.RequestID, resp.Header.Get("X-Request-Id"))
	}
	if resp.Pagination == nil {
		t.Fatal("no pagination on a collection")
	}
}

func TestPageBasedPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	c := e.client()
	page := func(n int) *runtime.Response {
		t.Helper()
		resp, err := c.Do(context.Background(), &runtime.Request{
			Method: "POST", Path: "/v1/ads/query", Body: map[string]any{"page": n, "limit": 5}, Operation: "queryAds",
		})
		if err != nil {
			t.Fatalf("page %d: %v", n, err)
		}
		checkEnvelope(t, resp)
		return resp
	}
	first := page(1)
	p := first.Pagination
	if p.Page != 1 || p.Limit != 5 || p.Offset != nil || p.Total <= 5 || p.TotalPages != (p.Total+4)/5 {
		t.Fatalf("pagination %+v; want page 1 of ceil(total/5) pages, total > 5", *p)
	}
	if !p.HasMore() {
		t.Error("HasMore() is false on page 1")
	}
	if rows := decodeRows(t, first); len(rows) != 5 || rows[0].ID == "" {
		t.Errorf("page 1 has rows %v; want 5 with ids", rows)
	}
	last := page(p.TotalPages)
	if last.Pagination.Page != p.TotalPages || last.Pagination.HasMore() {
		t.Errorf("last page %+v: HasMore() = %v; want false", *last.Pagination, last.Pagination.HasMore())
	}
	if rows := decodeRows(t, last); len(rows) != p.Total-5*(p.TotalPages-1) {
		t.Errorf("last page has %d rows; want %d", len(rows), p.Total-5*(p.TotalPages-1))
	}
}

func TestOffsetBasedPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	c := e.client()
	at := func(offset int) *runtime.Response {
		t.Helper()
		r := get("/v1/advertisers")
		r.Query = url.Values{"limit": {"5"}, "offset": {strconv.Itoa(offset)}}
		resp, err := c.Do(context.Background(), r)
		if err != nil {
			t.Fatalf("offset %d: %v", offset, err)
		}
		checkEnvelope(t, resp)
		return resp
	}
	first := at(0)
	p := first.Pagination
	if p.Offset == nil || *p.Offset != 0 || p.Limit != 5 || p.Total <= 5 || p.Page != 0 || p.TotalPages != 0 {
		t.Fatalf("pagination %+v; want offset 0, limit 5, total > 5", *p)
	}
	if !p.HasMore() {
		t.Error("HasMore() is false at offset 0")
	}
	var meta struct {
		IsTruncated *bool `json:"isTruncated"`
	}
	if err := json.Unmarshal(first.Meta, &meta); err != nil || meta.IsTruncated == nil {
		t.Errorf("Meta = %s (%v); want the advertisers' meta", first.Meta, err)
	}
	if rows := decodeRows(t, first); len(rows) != 5 {
		t.Errorf("got %d rows; want 5", len(rows))
	}
	last := at(p.Total - 5)
	if last.Pagination.HasMore() {
		t.Errorf("HasMore() at offset total-limit = %+v; want false", *last.Pagination)
	}
	if more := at(p.Total - 6); !more.Pagination.HasMore() {
		t.Error("HasMore() one row before the end is false")
	}
}

func TestRootLevelBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	resp, err := e.client().Do(context.Background(), get("/v1/me"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Enveloped || resp.Pagination != nil {
		t.Errorf("Enveloped %v, pagination %v; /v1/me answers at the root", resp.Enveloped, resp.Pagination)
	}
	if !bytes.Equal(resp.Data, bytes.TrimSpace(resp.Body)) {
		t.Errorf("Data %s; want the whole body", resp.Data)
	}
	var me struct {
		RequestID  string `json:"requestId"`
		Credential struct {
			AccessLevel string `json:"accessLevel"`
		} `json:"credential"`
	}
	if err := json.Unmarshal(resp.Data, &me); err != nil || me.Credential.AccessLevel != sandbox.AccessFull {
		t.Errorf("data %s (%v); want the demo credential", resp.Data, err)
	}
	if resp.RequestID != me.RequestID || resp.RequestID != resp.Header.Get("X-Request-Id") {
		t.Errorf("RequestID %q, body %q, header %q; want all equal", resp.RequestID, me.RequestID, resp.Header.Get("X-Request-Id"))
	}
}

func TestEnvelopeShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		status    int
		body      string
		enveloped bool
		data      string
		requestID string
		hasMore   bool
	}{
		{name: "envelope", status: 200, body: ` {"data":[{"id":"a"}],"requestId":"req_body","pagination":{"page":1,"limit":1,"total":2,"totalPages":2}} `,
			enveloped: true, data: `[{"id":"a"}]`, requestID: "req_body", hasMore: true},
		{name: "envelope with null data", status: 200, body: `{"data":null,"requestId":"req_body"}`,
			enveloped: true, data: `null`, requestID: "req_body"},
		{name: "envelope with a created flag", status: 201, body: `{"data":{"id":"bt"},"created":true,"requestId":"req_body"}`,
			enveloped: true, data: `{"id":"bt"}`, requestID: "req_body"},
		{name: "envelope without requestId", status: 200, body: `{"data":[]}`, enveloped: true, data: `[]`, requestID: "req_header"},
		{name: "root object", status: 200, body: `{"status":"ok","requestId":"req_body"}`,
			data: `{"status":"ok","requestId":"req_body"}`, requestID: "req_body"},
		{name: "root array", status: 200, body: `[1,2]`, data: `[1,2]`, requestID: "req_header"},
		{name: "root string", status: 200, body: `"ok"`, data: `"ok"`, requestID: "req_header"},
		{name: "no content", status: 204, body: ``, data: ``, requestID: "req_header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts, _ := plainServer(t, reply(tt.status, map[string]string{"X-Request-Id": "req_header"}, tt.body))
			resp, err := newClient(t, ts, newFakeClock()).Do(context.Background(), get("/v1/x"))
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if resp.Status != tt.status || resp.Enveloped != tt.enveloped || string(resp.Data) != tt.data || resp.RequestID != tt.requestID {
				t.Errorf("got status %d, enveloped %v, data %s, request id %q; want %d, %v, %s, %q",
					resp.Status, resp.Enveloped, resp.Data, resp.RequestID, tt.status, tt.enveloped, tt.data, tt.requestID)
			}
			if resp.Pagination.HasMore() != tt.hasMore {
				t.Errorf("HasMore() = %v; want %v", resp.Pagination.HasMore(), tt.hasMore)
			}
		})
	}
}

func TestHasMore(t *testing.T) {
	t.Parallel()
	off := func(n int) *int { return &n }
	tests := []struct {
		p    *runtime.Pagination
		want bool
	}{
		{nil, false},
		{&runtime.Pagination{}, false},
		{&runtime.Pagination{Page: 1, Limit: 5, Total: 11, TotalPages: 3}, true},
		{&runtime.Pagination{Page: 3, Limit: 5, Total: 11, TotalPages: 3}, false},
		{&runtime.Pagination{Page: 4, Limit: 5, Total: 11, TotalPages: 3}, false},
		{&runtime.Pagination{Page: 1, Limit: 5, Total: 0, TotalPages: 0}, false},
		{&runtime.Pagination{Limit: 5, Offset: off(0), Total: 12}, true},
		{&runtime.Pagination{Limit: 5, Offset: off(5), Total: 10}, false},
		{&runtime.Pagination{Limit: 5, Offset: off(6), Total: 12}, true},
		{&runtime.Pagination{Limit: 5, Offset: off(7), Total: 12}, false},
		{&runtime.Pagination{Limit: 0, Offset: off(0), Total: 12}, false},
		{&runtime.Pagination{Limit: 5, Offset: off(50), Total: 12}, false},
	}
	for _, tt := range tests {
		if got := tt.p.HasMore(); got != tt.want {
			t.Errorf("%+v.HasMore() = %v; want %v", tt.p, got, tt.want)
		}
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	c := e.client()
	u, err := c.Usage(context.Background())
	if err != nil {
		t.Fatalf("Usage: %v", err)
	}
	if u.RequestID == "" || u.RequestID != u.Metering.RequestID {
		t.Errorf("RequestID %q, header %q", u.RequestID, u.Metering.RequestID)
	}
	if u.Workspace.Slug != "sandbox-demo" || u.Workspace.ID == "" || u.Credential.AccessLevel != sandbox.AccessFull {
		t.Errorf("workspace %+v, credential %+v; want the demo workspace and a full_access key", u.Workspace, u.Credential)
	}
	if !u.Billing.Configured || u.Billing.PlanCode == nil || u.Billing.CurrentPeriodStart == nil {
		t.Errorf("billing %+v; want a configured plan", u.Billing)
	}
	cr := u.Credits
	if cr.Recurring.Limit != 10000 || cr.Recurring.Remaining != 10000 || cr.Recurring.Used != 0 || cr.Topup.Balance != 0 || cr.TotalRemaining != 10000 {
		t.Errorf("credits %+v; want 10000 recurring and nothing else", cr)
	}
	if u.Metering.Cost() != runtime.Known(0) || u.Metering.CreditsRemaining != runtime.Known(10000) || !u.Metering.Metered() {
		t.Errorf("metering %+v; want cost 0 (present) and 10000 remaining", u.Metering)
	}
	refill, ok := u.RefillAt()
	if want := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC); !ok || !refill.Equal(want) || refill.Location() != time.UTC {
		t.Errorf("RefillAt() = %v, %v; want %v (the end of the sandbox's November period)", refill, ok, want)
	}

	// Spend 3 credits from top-up and recurring, then look again.
	e.sb.SetCredits(sandbox.DemoKey, sandbox.Credits{Recurring: 2, Topup: 50})
	r := get("/v1/advertisers")
	r.Query = url.Values{"limit": {"3"}}
	if _, err := c.Do(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	u, err = c.Usage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if u.Credits.Recurring.Remaining != 0 || u.Credits.Topup.Balance != 49 || u.Credits.TotalRemaining != 49 || u.Metering.CreditsRemaining != runtime.Known(49) {
		t.Errorf("after spending 3 of 2+50: credits %+v, metering %+v; want 0 recurring, 49 top-up", u.Credits, u.Metering)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	_, err := e.client(runtime.WithAPIKey(sandbox.KeyRevoked)).Usage(context.Background())
	if ae := mustAPIError(t, err); ae.Code != runtime.CodeCredentialRevoked {
		t.Errorf("Usage with a revoked key: %v", err)
	}

	ts, _ := plainServer(t, reply(200, map[string]string{"X-Request-Id": "req_u"}, `{"credits":"plenty"}`))
	u, err := newClient(t, ts, newFakeClock()).Usage(context.Background())
	ae := mustAPIError(t, err)
	if u != nil || ae.Code != runtime.CodeMalformedResponse || ae.RequestID != "req_u" {
		t.Errorf("Usage of a wrong shape = %v, %+v; want a malformed_response with the request id", u, ae)
	}
}

func TestRefillAt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want time.Time
		ok   bool
	}{
		{"configured", `{"billing":{"configured":true,"currentPeriodEnd":"2026-12-01T00:00:00.000Z"}}`, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), true},
		{"offset converted to UTC", `{"billing":{"configured":true,"currentPeriodEnd":"2026-12-01T02:00:00+02:00"}}`, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), true},
		{"not configured", `{"billing":{"configured":false,"currentPeriodEnd":"2026-12-01T00:00:00Z"}}`, time.Time{}, false},
		{"null end", `{"billing":{"configured":true,"currentPeriodEnd":null}}`, time.Time{}, false},
		{"garbage end", `{"billing":{"configured":true,"currentPeriodEnd":"next month"}}`, time.Time{}, false},
		{"reference sample (unconfigured)", `{"requestId":"r","billing":{"configured":false,"planCode":null,"currentPeriodStart":null,"currentPeriodEnd":null,"updatedAt":null},"credits":{"balance":0,"recurring":{"limit":0,"used":0,"remaining":0},"topup":{"balance":0},"totalRemaining":0}}`, time.Time{}, false},
	}
	for _, tt := range tests {
		var u runtime.Usage
		if err := json.Unmarshal([]byte(tt.body), &u); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got, ok := u.RefillAt()
		if !got.Equal(tt.want) || ok != tt.ok || (ok && got.Location() != time.UTC) {
			t.Errorf("%s: RefillAt() = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := (*runtime.Usage)(nil).RefillAt(); ok {
		t.Error("nil Usage has a refill date")
	}
}

// TestRequestHeaders checks what goes on the wire: the bearer header (and
// none without a key), Accept, User-Agent, the JSON body, the query and a
// base URL with a path prefix.
func TestRequestHeaders(t *testing.T) {
	t.Parallel()
	type seen struct {
		method, path, query, auth, accept, ua, ctype, body string
		hasAuth                                            bool
	}
	ch := make(chan seen, 1)
	ts, _ := plainServer(t, func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		_, _ = b.ReadFrom(r.Body)
		_, hasAuth := r.Header["Authorization"]
		ch <- seen{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get("Accept"),
			r.Header.Get("User-Agent"), r.Header.Get("Content-Type"), b.String(), hasAuth}
		_, _ = w.Write([]byte(`{"data":{}}`))
	})

	c, err := runtime.New(runtime.WithBaseURL(ts.URL+"/prefix/"), runtime.WithAPIKey("  tt_live_abc \n"),
		runtime.WithUserAgent("tollgate-test/1"), runtime.WithClock(newFakeClock()), runtime.WithHTTPClient(ts.Client()))
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL() != ts.URL+"/prefix" || !c.HasAPIKey() {
		t.Errorf("BaseURL() = %q, HasAPIKey() = %v", c.BaseURL(), c.HasAPIKey())
	}
	_, err = c.Do(context.Background(), &runtime.Request{Method: "post", Path: "/v1/ads/query",
		Query: url.Values{"b": {"2 3"}, "a": {"x&y"}}, Body: map[string]any{"search": []string{"tea"}}})
	if err != nil {
		t.Fatal(err)
	}
	got := <-ch
	want := seen{"POST", "/prefix/v1/ads/query", "a=x%26y&b=2+3", "Bearer tt_live_abc", "application/json",
		"tollgate-test/1", "application/json", `{"search":["tea"]}`, true}
	if got != want {
		t.Errorf("server saw %+v\nwant %+v", got, want)
	}

	anon := newClient(t, ts, newFakeClock())
	if anon.HasAPIKey() {
		t.Error("HasAPIKey() without a key")
	}
	if _, err := anon.Do(context.Background(), get("/v1/health")); err != nil {
		t.Fatal(err)
	}
	got = <-ch
	if got.hasAuth || got.method != "GET" || got.ctype != "" || got.body != "" || got.ua != "tollgate" {
		t.Errorf("keyless GET sent %+v; want no Authorization, no body, default User-Agent", got)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	c, err := runtime.New()
	if err != nil || c.BaseURL() != runtime.DefaultBaseURL || c.HasAPIKey() {
		t.Errorf("New() = %v, %v; want the default base URL and no key", c, err)
	}
	for _, u := range []string{"api.trendtrack.io", "ftp://x", "", "/v1"} {
		if _, err := runtime.New(runtime.WithBaseURL(u)); err == nil {
			t.Errorf("New with base URL %q succeeded", u)
		}
	}
	if _, err := runtime.New(runtime.WithLogger(nil), runtime.WithObserver(nil)); err != nil {
		t.Errorf("New with nil logger and observer: %v", err)
	}
}

func TestBodyEncodingError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sandbox.Config{})
	_, err := e.client().Do(context.Background(), &runtime.Request{Method: "POST", Path: "/v1/ads/query", Body: map[string]any{"f": func() {}}})
	if err == nil || e.sb.Requests() != 0 {
		t.Errorf("unencodable body: err %v, %d requests; want a local error", err, e.sb.Requests())
	}
}

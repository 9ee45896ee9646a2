package sandbox_test

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/sandbox"
)

func TestPagePagination(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	key := e.s.NewWorkspace(sandbox.Credits{})
	first := e.get("/v1/tiktok/library?search=coffee&limit=7", key)
	wantStatus(t, first, 200)
	pg := first.json(t)["pagination"].(map[string]any)
	total := int(pg["total"].(float64))
	if total < 50 {
		t.Fatalf("search for coffee matched only %d TikTok items; the data set must make common words match many rows", total)
	}
	lastPage := (total + 6) / 7
	tests := []struct {
		name  string
		query string
		rows  int
		page  int
	}{
		{"first page is full", "page=1&limit=7", 7, 1},
		{"default page and limit", "", min(20, total), 1},
		{"last page is partial", fmt.Sprintf("page=%d&limit=7", lastPage), total - 7*(lastPage-1), lastPage},
		{"page past the end is empty", fmt.Sprintf("page=%d&limit=7", lastPage+1), 0, lastPage + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.get("/v1/tiktok/library?search=coffee&"+tt.query, key)
			wantStatus(t, r, 200)
			m := r.json(t)
			p := m["pagination"].(map[string]any)
			limit := int(p["limit"].(float64))
			want := map[string]any{"page": float64(tt.page), "limit": float64(limit), "total": float64(total),
				"totalPages": float64((total + limit - 1) / limit)}
			if fmt.Sprint(p) != fmt.Sprint(want) {
				t.Errorf("pagination = %v, want %v", p, want)
			}
			if got := r.rows(t); got != tt.rows {
				t.Errorf("rows = %d, want %d", got, tt.rows)
			}
			if got := r.header.Get("X-Usage-Cost"); got != strconv.Itoa(tt.rows) {
				t.Errorf("X-Usage-Cost = %q, want %d (one credit per returned row)", got, tt.rows)
			}
		})
	}
}

func TestOffsetPagination(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	key := e.s.NewWorkspace(sandbox.Credits{})
	all := e.get("/v1/shops?limit=100", key)
	total := int(all.json(t)["pagination"].(map[string]any)["total"].(float64))
	if total < 250 {
		t.Fatalf("only %d shops", total)
	}
	tests := []struct {
		name   string
		query  string
		rows   int
		limit  int
		offset int
	}{
		{"shops default limit is 32", "", 32, 32, 0},
		{"offset inside", "offset=10&limit=5", 5, 5, 10},
		{"partial tail", fmt.Sprintf("offset=%d&limit=10", total-3), 3, 10, total - 3},
		{"offset past the end", fmt.Sprintf("offset=%d", total+5), 0, 32, total + 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.get("/v1/shops?"+tt.query, key)
			wantStatus(t, r, 200)
			p := r.json(t)["pagination"].(map[string]any)
			want := map[string]any{"limit": float64(tt.limit), "offset": float64(tt.offset), "total": float64(total)}
			if fmt.Sprint(p) != fmt.Sprint(want) {
				t.Errorf("pagination = %v, want %v", p, want)
			}
			if got := r.rows(t); got != tt.rows {
				t.Errorf("rows = %d, want %d", got, tt.rows)
			}
			if got := r.header.Get("X-Usage-Cost"); got != strconv.Itoa(tt.rows) {
				t.Errorf("X-Usage-Cost = %q, want %d", got, tt.rows)
			}
		})
	}
	r := e.get("/v1/advertisers", key)
	if got := r.json(t)["pagination"].(map[string]any)["limit"]; got != float64(20) {
		t.Errorf("advertisers default limit = %v, want 20", got)
	}
	if m, _ := r.json(t)["meta"].(map[string]any); m == nil || m["isTruncated"] != false {
		t.Errorf("advertisers meta = %v, want isTruncated", m)
	}
}

func TestSearchMatchesCommonWordsAndNotNonsense(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	key := e.s.NewWorkspace(sandbox.Credits{})
	for _, w := range []string{"shoes", "skincare", "coffee", "fitness", "pet", "SHOES"} {
		r := e.get("/v1/ads?search="+w+"&limit=1", key)
		wantStatus(t, r, 200)
		if total := r.json(t)["pagination"].(map[string]any)["total"].(float64); total < 100 {
			t.Errorf("ads matching %q: %v, want at least 100", w, total)
		}
	}
	r := e.get("/v1/ads?search=zzqxvplonk", key)
	if total := r.json(t)["pagination"].(map[string]any)["total"]; total != float64(0) || r.header.Get("X-Usage-Cost") != "0" {
		t.Errorf("nonsense search: total %v, cost %q; want 0 and 0", total, r.header.Get("X-Usage-Cost"))
	}
}

func TestMeteringChargesReturnedRowsAndItems(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	key := e.s.NewWorkspace(sandbox.Credits{})
	ad := e.get("/v1/ads?search=shoes&limit=1", key).json(t)["data"].([]any)[0].(map[string]any)
	adID := ad["id"].(string)
	advID := ad["advertiser"].(map[string]any)["id"].(string)
	tests := []struct {
		name, method, path string
		body               any
		cost               string // "" = free, no metering headers
	}{
		{"ads page", "GET", "/v1/ads?search=shoes&limit=13", nil, "13"},
		{"ads query", "POST", "/v1/ads/query", map[string]any{"search": []string{"coffee"}, "limit": 4}, "4"},
		{"ad detail", "GET", "/v1/ads/" + adID, nil, "1"},
		{"unknown ad detail", "GET", "/v1/ads/facebook_0", nil, ""},
		{"advertiser detail", "GET", "/v1/advertisers/" + advID, nil, "1"},
		{"advertiser ads", "GET", "/v1/advertisers/" + advID + "/ads?limit=1", nil, "1"},
		{"google ads", "POST", "/v1/google-ads/query", map[string]any{"limit": 3}, "3"},
		{"brandtrackers", "GET", "/v1/brandtrackers?limit=100", nil, "25"},
		{"lookup is free", "GET", "/v1/lookup?q=coffee", nil, ""},
		{"me is free", "GET", "/v1/me", nil, ""},
		{"create brandtracker is free", "POST", "/v1/brandtrackers", map[string]any{"facebookPageId": advID}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.s.Spent(key)
			r := e.do(tt.method, tt.path, key, tt.body)
			if r.status >= 500 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if got := r.header.Get("X-Usage-Cost"); got != tt.cost {
				t.Fatalf("X-Usage-Cost = %q, want %q", got, tt.cost)
			}
			want := int64(0)
			if tt.cost != "" {
				want, _ = strconv.ParseInt(tt.cost, 10, 64)
				if r.header.Get("X-Credits-Used") != tt.cost || r.header.Get("X-Credits-Source") == "" {
					t.Errorf("metered response headers: %v", r.header)
				}
				c := e.s.Credits(key)
				if r.header.Get("X-Credits-Remaining") != strconv.FormatInt(c.Recurring+c.Topup, 10) {
					t.Errorf("X-Credits-Remaining = %q, balance %+v", r.header.Get("X-Credits-Remaining"), c)
				}
			} else if r.header.Get("X-Credits-Remaining") != "" || r.header.Get("X-Credits-Source") != "" {
				t.Errorf("free or failed call sent metering headers: %v", r.header)
			}
			if got := e.s.Spent(key) - before; got != want {
				t.Errorf("charged %d, want %d", got, want)
			}
		})
	}
}

func TestChargesRecurringThenTopupThenHybrid(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	tests := []struct {
		name          string
		start         sandbox.Credits
		limit         int
		source        string
		after         sandbox.Credits
		wantRemaining int64
	}{
		{"recurring only", sandbox.Credits{Recurring: 50, Topup: 50}, 10, "recurring", sandbox.Credits{Recurring: 40, Topup: 50}, 90},
		{"split across both", sandbox.Credits{Recurring: 4, Topup: 50}, 10, "hybrid", sandbox.Credits{Recurring: 0, Topup: 44}, 44},
		{"top-up only", sandbox.Credits{Recurring: 0, Topup: 50}, 10, "topup", sandbox.Credits{Recurring: 0, Topup: 40}, 40},
		{"zero cost reports recurring", sandbox.Credits{Recurring: 0, Topup: 50}, 10, "recurring", sandbox.Credits{Topup: 50}, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := e.s.NewWorkspace(sandbox.Credits{})
			e.s.SetCredits(key, tt.start)
			search := "shoes"
			if tt.name == "zero cost reports recurring" {
				search = "zzqxv"
			}
			r := e.get(fmt.Sprintf("/v1/ads?search=%s&limit=%d", search, tt.limit), key)
			wantStatus(t, r, 200)
			if got := r.header.Get("X-Credits-Source"); got != tt.source {
				t.Errorf("X-Credits-Source = %q, want %q", got, tt.source)
			}
			if got := r.header.Get("X-Credits-Remaining"); got != strconv.FormatInt(tt.wantRemaining, 10) {
				t.Errorf("X-Credits-Remaining = %q, want %d", got, tt.wantRemaining)
			}
			if got := e.s.Credits(key); got != tt.after {
				t.Errorf("balance = %+v, want %+v", got, tt.after)
			}
		})
	}
}

func TestReservationMustBeCoveredByTheBalance(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	key := e.s.NewWorkspace(sandbox.Credits{})
	e.s.SetCredits(key, sandbox.Credits{Recurring: 5, Topup: 3})
	tests := []struct {
		name   string
		path   string
		status int
	}{
		{"default limit 25 exceeds a balance of 8", "/v1/ads?search=zzqxv", 402},
		{"limit 9 exceeds a balance of 8 even if no rows would return", "/v1/ads?search=zzqxv&limit=9", 402},
		{"limit 8 is covered", "/v1/ads?search=zzqxv&limit=8", 200},
		{"usage stays free", "/v1/usage", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.get(tt.path, key)
			wantStatus(t, r, tt.status)
			if tt.status == 402 {
				if c := r.errCode(t); c != "insufficient_credits" {
					t.Fatalf("code %q", c)
				}
				if msg := r.json(t)["error"].(map[string]any)["message"]; msg != "Not enough credits to complete this request." {
					t.Errorf("message = %q", msg)
				}
				for _, h := range []string{"X-Usage-Cost", "X-Credits-Used", "X-Credits-Remaining", "X-Credits-Source"} {
					if r.header.Get(h) != "" {
						t.Errorf("402 carries %s", h)
					}
				}
			}
		})
	}
	if got := e.s.Credits(key); got != (sandbox.Credits{Recurring: 5, Topup: 3}) {
		t.Errorf("balance changed to %+v", got)
	}
}

// TestConcurrentCallsNeverOverdraw fires 50 concurrent requests that each
// reserve and spend 10 credits against a balance of 100.
func TestConcurrentCallsNeverOverdraw(t *testing.T) {
	e := newEnv(t, sandbox.Config{Faults: sandbox.Faults{Latency: 20 * time.Millisecond}})
	key := e.s.NewWorkspace(sandbox.Credits{})
	e.s.SetCredits(key, sandbox.Credits{Recurring: 60, Topup: 40})
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", e.url+"/v1/ads?search=shoes&limit=10", nil)
			req.Header.Set("Authorization", "Bearer "+key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			statuses[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if statuses[200] != 10 || statuses[402] != 40 {
		t.Errorf("statuses = %v, want 10×200 and 40×402", statuses)
	}
	if got := e.s.Spent(key); got != 100 {
		t.Errorf("spent %d, want exactly the balance 100", got)
	}
	if got := e.s.Credits(key); got != (sandbox.Credits{}) {
		t.Errorf("balance = %+v, want empty and never negative", got)
	}
}

func TestUsageReportsBalanceAndRefillDate(t *testing.T) {
	e := newEnv(t, sandbox.Config{DemoCredits: sandbox.Credits{Recurring: 9000, Topup: 2500}})
	r := e.get("/v1/usage", sandbox.DemoKey)
	wantStatus(t, r, 200)
	for h, want := range map[string]string{"X-Usage-Cost": "0", "X-Credits-Used": "0", "X-Credits-Remaining": "11500", "X-Credits-Source": ""} {
		if got := r.header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	m := r.json(t)
	billing := m["billing"].(map[string]any)
	// The fake clock says 2026-11-20.
	if billing["configured"] != true || billing["currentPeriodStart"] != "2026-11-01T00:00:00.000Z" || billing["currentPeriodEnd"] != "2026-12-01T00:00:00.000Z" {
		t.Errorf("billing = %v", billing)
	}
	credits := m["credits"].(map[string]any)
	wantRecurring := map[string]any{"limit": float64(10000), "used": float64(1000), "remaining": float64(9000)}
	if fmt.Sprint(credits["recurring"]) != fmt.Sprint(wantRecurring) || fmt.Sprint(m["includedQuota"]) != fmt.Sprint(wantRecurring) {
		t.Errorf("recurring = %v, includedQuota = %v, want %v", credits["recurring"], m["includedQuota"], wantRecurring)
	}
	if credits["balance"] != float64(2500) || credits["topup"].(map[string]any)["balance"] != float64(2500) || credits["totalRemaining"] != float64(11500) {
		t.Errorf("credits = %v", credits)
	}
	for _, k := range []string{"requestId", "workspace", "credential"} {
		if m[k] == nil {
			t.Errorf("usage lacks %s", k)
		}
	}

	// Crossing into December refills recurring credits; top-up is kept.
	e.clock.Advance(11 * 24 * time.Hour)
	m = e.get("/v1/usage", sandbox.DemoKey).json(t)
	if got := m["credits"].(map[string]any)["totalRemaining"]; got != float64(12500) {
		t.Errorf("after refill totalRemaining = %v, want 12500", got)
	}
	if got := m["billing"].(map[string]any)["currentPeriodEnd"]; got != "2027-01-01T00:00:00.000Z" {
		t.Errorf("after refill currentPeriodEnd = %v", got)
	}
}

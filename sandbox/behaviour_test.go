package sandbox_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/internal/fakeclock"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// newEnvAt is newEnv with the clock at at.
func newEnvAt(t *testing.T, at time.Time) *env {
	c := fakeclock.New(at)
	e := newEnv(t, sandbox.Config{Now: c.Now})
	e.clock = c
	return e
}

func TestSearchAndItsDeprecatedAliasConflict(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	r := e.get("/v1/ads?search=coffee&query=tea", sandbox.DemoKey)
	wantStatus(t, r, 400)
	if r.errCode(t) != "validation_error" {
		t.Fatalf("code %q", r.errCode(t))
	}
	errs := validationErrors(t, r)
	if len(errs) != 1 || errs[0]["field"] != "query-string.query" || !strings.Contains(fmt.Sprint(errs[0]["expected"]), "must not both be set") {
		t.Errorf("validationErrors = %v", errs)
	}
	// The alias alone still works, and is the same search.
	a, b := e.get("/v1/ads?query=coffee&limit=5", sandbox.DemoKey), e.get("/v1/ads?search=coffee&limit=5", sandbox.DemoKey)
	wantStatus(t, a, 200)
	if string(dataOf(t, a)) != string(dataOf(t, b)) {
		t.Error("query= and search= answer differently")
	}
}

func TestBrandtrackerListKeepsWorkspaceOrderAndFiltersByFolderName(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	key := e.s.NewWorkspace(sandbox.Credits{})
	ids := func(path string) []string {
		t.Helper()
		var out []string
		for _, r := range e.get(path, key).json(t)["data"].([]any) {
			out = append(out, r.(map[string]any)["id"].(string))
		}
		return out
	}
	order := ids("/v1/brandtrackers?limit=100")
	shop := e.get("/v1/shops?limit=1&offset=7", key).json(t)["data"].([]any)[0].(map[string]any)
	added := e.do("POST", "/v1/brandtrackers", key, map[string]any{"shopId": shop["id"]})
	wantStatus(t, added, 201)
	again := ids("/v1/brandtrackers?limit=100")
	if len(again) != len(order)+1 || strings.Join(again[:len(order)], ",") != strings.Join(order, ",") ||
		again[len(order)] != added.json(t)["data"].(map[string]any)["id"] {
		t.Errorf("without sortBy the list must keep the workspace's order, the new one last")
	}
	byName := ids("/v1/brandtrackers?limit=100&sortBy=name")
	if strings.Join(byName, ",") == strings.Join(again, ",") {
		t.Error("sortBy=name gave the workspace order")
	}

	watch := 0
	for _, r := range e.get("/v1/brandtrackers?limit=100", key).json(t)["data"].([]any) {
		if f, _ := r.(map[string]any)["folder"].(map[string]any); f != nil && f["name"] == "Watchlist" {
			watch++
		}
	}
	got := e.get("/v1/brandtrackers?limit=100&folderNames=watch,nothing", key)
	wantStatus(t, got, 200)
	if n := got.rows(t); n != watch || n == 0 {
		t.Errorf("folderNames=watch gave %d rows, want the %d in Watchlist", n, watch)
	}
}

func TestConfirmGatedDeletesTakeABody(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	key := e.s.NewWorkspace(sandbox.Credits{})
	folders := e.get("/v1/brandtrackers/folders", key).json(t)["data"].([]any)
	f := folders[0].(map[string]any)
	path := fmt.Sprintf("/v1/brandtrackers/folders/%v", f["id"])
	before := e.s.Spent(key)
	for _, body := range []any{nil, map[string]any{"action": "move-to-default"}, map[string]any{"action": "move-to-default", "confirm": false}} {
		r := e.do("DELETE", path, key, body)
		wantStatus(t, r, 400)
		if !strings.Contains(string(r.body), "confirm") {
			t.Errorf("%v: the error does not name confirm: %s", body, r.body)
		}
	}
	if e.s.Spent(key) != before || len(e.get("/v1/brandtrackers/folders", key).json(t)["data"].([]any)) != len(folders) {
		t.Fatal("a refused delete changed something or cost something")
	}
	before = e.s.Spent(key)
	r := e.do("DELETE", path, key, map[string]any{"action": "move-to-default", "confirm": true})
	wantStatus(t, r, 200)
	d := r.json(t)["data"].(map[string]any)
	if d["movedBrandtrackers"].(float64) != f["brandtrackerCount"].(float64) || d["deletedBrandtrackers"].(float64) != 0 {
		t.Errorf("delete = %v, folder had %v brandtrackers", d, f["brandtrackerCount"])
	}
	if r.header.Get("X-Usage-Cost") != "1" || e.s.Spent(key) != before+1 {
		t.Errorf("a folder mutation costs 1 credit; charged %q", r.header.Get("X-Usage-Cost"))
	}
	wantStatus(t, e.do("DELETE", path, key, map[string]any{"action": "move-to-default", "confirm": true}), 404)

	// Several brandtrackers at once, by workspace link id.
	list := e.get("/v1/brandtrackers?limit=2", key).json(t)["data"].([]any)
	links := []any{list[0].(map[string]any)["workspaceLinkId"], list[1].(map[string]any)["workspaceLinkId"], 999999}
	r = e.do("DELETE", "/v1/brandtrackers/workspace-links", key, map[string]any{"workspaceLinkIds": links, "confirm": true})
	wantStatus(t, r, 200)
	d = r.json(t)["data"].(map[string]any)
	if d["requestedCount"].(float64) != 3 || d["affectedCount"].(float64) != 2 || fmt.Sprint(d["notFoundWorkspaceLinkIds"]) != "[999999]" {
		t.Errorf("workspace-links delete = %v", d)
	}
	r = e.do("DELETE", "/v1/brandtrackers/workspace-links", key, map[string]any{"workspaceLinkIds": links[:1], "brandtrackerIds": []string{"x"}, "confirm": true})
	wantStatus(t, r, 400)
}

func TestPatchMovesBrandtrackersAndFavorites(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	key := e.s.NewWorkspace(sandbox.Credits{})
	bt := e.get("/v1/brandtrackers?limit=1", key).json(t)["data"].([]any)[0].(map[string]any)
	folder := e.do("POST", "/v1/brandtrackers/folders", key, map[string]any{"name": "Moved here"})
	wantStatus(t, folder, 201)
	fid := folder.json(t)["data"].(map[string]any)["id"]
	r := e.do("PATCH", "/v1/brandtrackers/workspace-links", key, map[string]any{"brandtrackerIds": []any{bt["id"]}, "folderId": fid})
	wantStatus(t, r, 200)
	got := e.get(fmt.Sprintf("/v1/brandtrackers/folders/%v/brandtrackers", fid), key)
	if got.rows(t) != 1 {
		t.Fatalf("folder holds %d brandtrackers after the move, want 1", got.rows(t))
	}
	r = e.do("PATCH", "/v1/brandtrackers/workspace-links", key, map[string]any{"brandtrackerIds": []any{bt["id"]}, "folderId": nil})
	wantStatus(t, r, 200)
	if f := e.get("/v1/brandtrackers/"+bt["id"].(string), key).json(t)["data"].(map[string]any)["folder"]; f != nil {
		t.Errorf("folderId null must move to the root; folder = %v", f)
	}
	r = e.do("PATCH", fmt.Sprintf("/v1/brandtrackers/folders/%v", fid), key, map[string]any{"name": "Renamed", "rank": 1})
	wantStatus(t, r, 200)
	if d := r.json(t)["data"].(map[string]any); d["name"] != "Renamed" || d["rank"].(float64) != 1 {
		t.Errorf("patched folder = %v", d)
	}
}

func TestFavoritesAreIdempotentAndScoped(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	ad := e.get("/v1/ads?search=coffee&limit=1", sandbox.DemoKey).json(t)["data"].([]any)[0].(map[string]any)["id"]
	first := e.do("POST", "/v1/favorites/ads?scope=workspace", sandbox.DemoKey, map[string]any{"adId": ad})
	wantStatus(t, first, 201)
	again := e.do("POST", "/v1/favorites/ads?scope=workspace", sandbox.DemoKey, map[string]any{"adId": ad})
	wantStatus(t, again, 200)
	if again.json(t)["created"] != false || string(dataOf(t, first)) != string(dataOf(t, again)) || again.header.Get("X-Usage-Cost") != "" {
		t.Errorf("saving again must return the same favorite, created:false, free: %s", again.body)
	}
	// Personal favorites belong to delegated users; workspace writes to full_access keys.
	wantStatus(t, e.get("/v1/favorites/ads?scope=personal", sandbox.DemoKey), 403)
	wantStatus(t, e.do("POST", "/v1/favorites/ads?scope=workspace", sandbox.KeyDelegated, map[string]any{"adId": ad}), 403)
	wantStatus(t, e.do("POST", "/v1/favorites/ads?scope=personal", sandbox.KeyDelegated, map[string]any{"adId": ad}), 201)
	if n := e.get("/v1/favorites/ads?scope=workspace", sandbox.KeyDelegated).rows(t); n != 1 {
		t.Errorf("a delegated key reads the workspace's %d favorites, want 1", n)
	}
	wantStatus(t, e.get("/v1/favorites/ads", sandbox.DemoKey), 400)
	r := e.do("DELETE", fmt.Sprintf("/v1/favorites/ads/%v?scope=workspace", ad), sandbox.DemoKey, nil)
	wantStatus(t, r, 200)
	wantStatus(t, e.do("DELETE", fmt.Sprintf("/v1/favorites/ads/%v?scope=workspace", ad), sandbox.DemoKey, nil), 404)
	if n := e.get("/v1/favorites/ads?scope=personal", sandbox.KeyDelegated).rows(t); n != 1 {
		t.Errorf("removing a workspace favorite touched the personal ones (%d left)", n)
	}
}

func TestFolderCreatesAreNotIdempotent(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	a := e.do("POST", "/v1/favorites/shops/folders?scope=workspace", sandbox.DemoKey, map[string]any{"name": "Same"})
	b := e.do("POST", "/v1/favorites/shops/folders?scope=workspace", sandbox.DemoKey, map[string]any{"name": "Same"})
	wantStatus(t, a, 201)
	wantStatus(t, b, 201)
	if string(dataOf(t, a)) == string(dataOf(t, b)) {
		t.Error("two folder creates gave the same folder")
	}
	// Shop folders are flat: parentId is not a property, so it is ignored.
	if n := len(e.get("/v1/favorites/shops/folders?scope=workspace", sandbox.DemoKey).json(t)["data"].([]any)); n != 2 {
		t.Errorf("%d folders, want 2", n)
	}
}

// TestFreshnessRollsOverAtTheReadyHour moves the injected clock across a
// refresh and sees the ready date, the data's dates and nothing else move.
func TestFreshnessRollsOverAtTheReadyHour(t *testing.T) {
	e := newEnvAt(t, time.Date(2026, 11, 20, sandbox.DataReadyHour-1, 59, 0, 0, time.UTC))
	fresh := func() map[string]any {
		t.Helper()
		r := e.get("/v1/system/freshness", sandbox.DemoKey)
		wantStatus(t, r, 200)
		if r.header.Get("X-Usage-Cost") != "" {
			t.Error("freshness must be free")
		}
		m := r.json(t)
		if m["status"] != "ok" {
			t.Fatalf("freshness = %s", r.body)
		}
		return m["data"].(map[string]any)
	}
	before := fresh()
	if before["latestReadyDate"] != "2026-11-18" || before["latestScheduledDate"] != "2026-11-20" || before["dataFreshnessLagDays"].(float64) != 2 {
		t.Errorf("before %d:00 UTC: %v", sandbox.DataReadyHour, before)
	}
	ad := func() map[string]any {
		return e.get("/v1/ads?search=coffee&limit=1&status=active&sortBy=newest", sandbox.DemoKey).json(t)["data"].([]any)[0].(map[string]any)
	}
	a1 := ad()
	if next := sandbox.NextDataRefresh(e.clock.Now()); !next.Equal(time.Date(2026, 11, 20, sandbox.DataReadyHour, 0, 0, 0, time.UTC)) {
		t.Errorf("NextDataRefresh = %v", next)
	}

	e.clock.Advance(time.Minute)
	after := fresh()
	if after["latestReadyDate"] != "2026-11-19" || after["dataFreshnessLagDays"].(float64) != 1 || after["generatedAt"] != "2026-11-20T06:00:00.000Z" {
		t.Errorf("after %d:00 UTC: %v", sandbox.DataReadyHour, after)
	}
	a2 := ad()
	if a1["id"] != a2["id"] || a1["daysRunning"] != a2["daysRunning"] {
		t.Errorf("a refresh must keep ids and figures: %v / %v", a1["id"], a2["id"])
	}
	t1, _ := time.Parse(time.RFC3339, a1["lastSeenAt"].(string))
	t2, _ := time.Parse(time.RFC3339, a2["lastSeenAt"].(string))
	if t2.Sub(t1) != 24*time.Hour {
		t.Errorf("an active ad's lastSeenAt moved by %v, want one day", t2.Sub(t1))
	}
	if age := e.clock.Now().Sub(t2); age < 0 || age > 48*time.Hour {
		t.Errorf("an active ad was last seen %v ago; the data must look current", age)
	}
}

func TestDataDatesFollowTheClock(t *testing.T) {
	for _, now := range []time.Time{time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC), time.Date(2027, 9, 30, 23, 0, 0, 0, time.UTC)} {
		e := newEnvAt(t, now)
		ready := sandbox.LatestReadyDate(now)
		for _, row := range e.get("/v1/ads?search=shoes&limit=50&status=active", sandbox.DemoKey).json(t)["data"].([]any) {
			seen, _ := time.Parse(time.RFC3339, row.(map[string]any)["lastSeenAt"].(string))
			if seen.Before(ready) || seen.After(now) {
				t.Fatalf("at %v an active ad was last seen %v (latest ready date %v)", now, seen, ready)
			}
		}
		bt := e.get("/v1/brandtrackers?limit=1", sandbox.DemoKey).json(t)["data"].([]any)[0].(map[string]any)
		crawled, _ := time.Parse(time.RFC3339, bt["status"].(map[string]any)["lastCrawledAt"].(string))
		if now.Sub(crawled) > 48*time.Hour || crawled.After(now) {
			t.Errorf("at %v a brandtracker was last crawled %v", now, crawled)
		}
	}
}

func TestRateLimitHeaderSpellings(t *testing.T) {
	tests := []struct {
		name     string
		headers  sandbox.RateLimitHeaders
		want     map[string]string
		excluded []string
	}{
		{"X-RateLimit (default)", sandbox.HeadersXRateLimit,
			map[string]string{"X-RateLimit-Limit": "4", "X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "1"},
			[]string{"RateLimit", "RateLimit-Policy"}},
		{"IETF", sandbox.HeadersIETF,
			map[string]string{"RateLimit-Policy": `"default";q=4;w=2`, "RateLimit": `"default";r=3;t=1`},
			[]string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}},
		{"none", sandbox.HeadersNone, map[string]string{},
			[]string{"RateLimit", "RateLimit-Policy", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Config{RateLimit: sandbox.RateLimit{PerSecond: 2, Burst: 4, Headers: tt.headers}})
			r := e.get("/v1/me", sandbox.DemoKey)
			wantStatus(t, r, 200)
			for h, v := range tt.want {
				if got := r.header.Get(h); got != v {
					t.Errorf("%s = %q, want %q", h, got, v)
				}
			}
			for _, h := range tt.excluded {
				if r.header.Get(h) != "" {
					t.Errorf("%s sent: %q", h, r.header.Get(h))
				}
			}
			for i := 0; i < 3; i++ {
				e.get("/v1/me", sandbox.DemoKey)
			}
			r = e.get("/v1/me", sandbox.DemoKey)
			wantStatus(t, r, 429)
			if r.header.Get("Retry-After") != "1" {
				t.Errorf("Retry-After = %q", r.header.Get("Retry-After"))
			}
			if tt.headers == sandbox.HeadersIETF && r.header.Get("RateLimit") != `"default";r=0;t=2` {
				t.Errorf("429 RateLimit = %q", r.header.Get("RateLimit"))
			}
		})
	}
	// SetRateLimit changes the spelling too.
	e := newEnv(t, sandbox.Config{})
	e.s.SetRateLimit(sandbox.RateLimit{PerSecond: 1, Headers: sandbox.HeadersIETF})
	if r := e.get("/v1/me", sandbox.DemoKey); r.header.Get("RateLimit-Policy") != `"default";q=2;w=2` {
		t.Errorf("after SetRateLimit: RateLimit-Policy = %q", r.header.Get("RateLimit-Policy"))
	}
}

func TestFixedSizeAnswersChargeWithinTheirBound(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	key := e.s.NewWorkspace(sandbox.Credits{})
	bt := e.get("/v1/brandtrackers?limit=1&sortBy=activeAds", key).json(t)["data"].([]any)[0].(map[string]any)["id"].(string)
	for path, want := range map[string]string{
		"/v1/brandtrackers/" + bt + "/media-mix":                 "3",
		"/v1/brandtrackers/" + bt + "/demography":                "12",
		"/v1/brandtrackers/" + bt + "/time-series":               "4",
		"/v1/brandtrackers/" + bt + "/time-series?metrics=reach": "1",
		"/v1/google-ads/facets/networks":                         "5",
	} {
		r := e.get(path, key)
		wantStatus(t, r, 200)
		if r.header.Get("X-Usage-Cost") != want {
			t.Errorf("%s charged %q, want %s", path, r.header.Get("X-Usage-Cost"), want)
		}
	}
	// A reservation of a fixed-size answer is its bound: 11 credits do not cover demography.
	e.s.SetCredits(key, sandbox.Credits{Recurring: 11})
	wantStatus(t, e.get("/v1/brandtrackers/"+bt+"/demography", key), 402)
	wantStatus(t, e.get("/v1/brandtrackers/"+bt+"/media-mix", key), 200)
}

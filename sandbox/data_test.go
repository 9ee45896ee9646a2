package sandbox_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/tollgate-mcp/tollgate/sandbox"
)

// dataOf returns the data part of a response, which excludes request ids.
func dataOf(t *testing.T, r *response) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatal(err)
	}
	return m["data"]
}

func TestSameSeedGivesSameData(t *testing.T) {
	paths := []string{"/v1/ads?search=shoes&limit=5", "/v1/advertisers?limit=5", "/v1/shops?limit=5",
		"/v1/brandtrackers?limit=5", "/v1/tiktok/library?limit=5", "/v1/lookup?q=pet"}
	a := newEnv(t, sandbox.Config{Seed: 7})
	b := newEnv(t, sandbox.Config{Seed: 7})
	c := newEnv(t, sandbox.Config{Seed: 8})
	for _, p := range paths {
		da, db, dc := dataOf(t, a.get(p, sandbox.DemoKey)), dataOf(t, b.get(p, sandbox.DemoKey)), dataOf(t, c.get(p, sandbox.DemoKey))
		if !bytes.Equal(da, db) {
			t.Errorf("%s: seed 7 gave different data twice", p)
		}
		if bytes.Equal(da, dc) {
			t.Errorf("%s: seeds 7 and 8 gave the same data", p)
		}
	}
}

func TestResourcesHaveTheReferenceFields(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	key := e.s.NewWorkspace(sandbox.Credits{Recurring: 10000})
	ad := e.get("/v1/ads?search=coffee&limit=1", key).json(t)["data"].([]any)[0].(map[string]any)
	shop := e.get("/v1/shops?limit=1", key).json(t)["data"].([]any)[0].(map[string]any)
	advID := ad["advertiser"].(map[string]any)["id"].(string)
	tests := []struct {
		name   string
		path   string
		fields []string
	}{
		{"ad summary", "/v1/ads?search=coffee&limit=1", []string{"id", "collationId", "platform", "status", "createdAt", "firstSeenAt", "lastSeenAt", "daysRunning", "media", "advertiser", "content", "metrics", "audience", "rank", "flags"}},
		{"ad detail", "/v1/ads/" + ad["id"].(string), []string{"id", "media", "transcript", "creativeAnalysis", "links", "shops", "pageAnalytics"}},
		{"advertiser summary", "/v1/advertisers?limit=1", []string{"id", "platform", "facebookPageId", "name", "logoUrl", "profile", "advertising", "lastAds", "mainLandingPages"}},
		{"advertiser detail", "/v1/advertisers/" + advID, []string{"id", "platform", "facebookPageId", "name", "logoUrl", "profile", "linkedShops", "advertising", "lastAds"}},
		{"advertiser ads", "/v1/advertisers/" + advID + "/ads?limit=1", []string{"id", "metrics", "advertiser"}},
		{"shop summary", "/v1/shops?limit=1", []string{"id", "domain", "name", "screenshotUrl", "createdAt", "profile", "catalog", "traffic", "advertising", "tiktok", "latestAds"}},
		{"shop detail", "/v1/shops/" + shop["id"].(string), []string{"id", "trustpilot", "socials", "catalog", "traffic", "advertising", "technology", "tiktok", "similarShops"}},
		{"brandtracker", "/v1/brandtrackers?limit=1", []string{"id", "name", "facebookPageId", "workspaceLinkId", "avatarUrl", "status", "folder", "advertising", "websites", "totalTraffic"}},
		{"lookup", "/v1/lookup?q=coffee&limit=1", []string{"type", "matchType", "matchField", "score", "brandtracker", "advertiser", "shop", "signals"}},
		{"google ad", "/v1/google-ads/query", []string{"id", "googleAdId", "status", "network", "firstSeenAt", "lastSeenAt", "daysRunning", "media", "advertiser", "reach", "audience"}},
		{"tiktok item", "/v1/tiktok/library?limit=1", []string{"id", "tiktokId", "type", "status", "daysRunning", "media", "content", "metrics", "profile", "shop"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r *response
			if tt.name == "google ad" {
				r = e.do("POST", tt.path, key, map[string]any{"limit": 1})
			} else {
				r = e.get(tt.path, key)
			}
			wantStatus(t, r, 200)
			var row map[string]any
			switch d := r.json(t)["data"].(type) {
			case []any:
				if len(d) == 0 {
					t.Fatal("no rows")
				}
				row = d[0].(map[string]any)
			case map[string]any:
				row = d
			}
			for _, f := range tt.fields {
				if _, ok := row[f]; !ok {
					t.Errorf("missing field %q", f)
				}
			}
		})
	}
}

func TestLookupPutsExactMatchesFirstAndIsFree(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	shop := e.get("/v1/shops?limit=1", sandbox.DemoKey).json(t)["data"].([]any)[0].(map[string]any)
	domain := shop["domain"].(string)
	r := e.get("/v1/lookup?type=auto&q=https://www."+domain+"/products/x", sandbox.DemoKey)
	wantStatus(t, r, 200)
	if r.header.Get("X-Usage-Cost") != "" {
		t.Errorf("lookup sent metering headers")
	}
	m := r.json(t)
	rows := m["data"].([]any)
	if len(rows) == 0 {
		t.Fatal("no match for a known domain")
	}
	first := rows[0].(map[string]any)
	if first["matchType"] != "exact" || first["score"] != float64(1) || first["shop"].(map[string]any)["domain"] != domain {
		t.Errorf("first row = %v", first)
	}
	meta := m["meta"].(map[string]any)
	if meta["returned"] != float64(len(rows)) || meta["type"] != "auto" || meta["limit"] != float64(20) {
		t.Errorf("meta = %v", meta)
	}
	if n := e.get("/v1/lookup?q=zzqxvplonk", sandbox.DemoKey).rows(t); n != 0 {
		t.Errorf("nonsense lookup returned %d rows", n)
	}
}

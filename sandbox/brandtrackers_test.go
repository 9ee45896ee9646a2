package sandbox_test

import (
	"testing"

	"github.com/tollgate-mcp/tollgate/sandbox"
)

func TestCreateBrandtrackerIsIdempotent(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	key := e.s.NewWorkspace(sandbox.Credits{})
	shop := e.get("/v1/shops?limit=1&sortBy=productsCount&order=asc", key).json(t)["data"].([]any)[0].(map[string]any)
	domain := shop["domain"].(string)

	tests := []struct {
		name    string
		body    any
		status  int
		created bool
	}{
		{"first create by domain", map[string]any{"domain": "https://www." + domain + "/collections/all"}, 201, true},
		{"same domain again", map[string]any{"domain": domain}, 200, false},
		{"same shop by id", map[string]any{"shopId": shop["id"]}, 200, false},
		{"same shop by websiteId", map[string]any{"websiteId": shop["id"]}, 200, false},
	}
	var id string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.s.Spent(key)
			r := e.do("POST", "/v1/brandtrackers", key, tt.body)
			wantStatus(t, r, tt.status)
			m := r.json(t)
			if m["created"] != tt.created || m["requestId"] != r.header.Get("X-Request-Id") {
				t.Fatalf("created = %v, want %v: %s", m["created"], tt.created, r.body)
			}
			d := m["data"].(map[string]any)
			if id == "" {
				id = d["id"].(string)
			} else if d["id"] != id {
				t.Errorf("id %v, want the existing %s", d["id"], id)
			}
			if e.s.Spent(key) != before || r.header.Get("X-Usage-Cost") != "" {
				t.Errorf("create must be free")
			}
		})
	}

	wantStatus(t, e.get("/v1/brandtrackers/"+id, key), 200)
	list := e.get("/v1/brandtrackers?limit=100", key)
	if n := list.rows(t); n != 26 {
		t.Errorf("list has %d rows, want 25 starting + 1", n)
	}
	del := e.do("DELETE", "/v1/brandtrackers/"+id, key, nil)
	wantStatus(t, del, 200)
	if d := del.json(t)["data"].(map[string]any); d["id"] != id || d["active"] != false {
		t.Errorf("delete data = %v", d)
	}
	wantStatus(t, e.get("/v1/brandtrackers/"+id, key), 404)
	wantStatus(t, e.do("DELETE", "/v1/brandtrackers/"+id, key, nil), 404)
	if n := e.get("/v1/brandtrackers?limit=100", key).rows(t); n != 25 {
		t.Errorf("after delete list has %d rows, want 25", n)
	}
	r := e.do("POST", "/v1/brandtrackers", key, map[string]any{"domain": domain})
	wantStatus(t, r, 201)
	if r.json(t)["data"].(map[string]any)["id"] != id {
		t.Errorf("re-creating must reactivate the same brandtracker")
	}
}

func TestCreateBrandtrackerRejectsUnknownTargets(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	tests := []struct {
		name   string
		body   any
		status int
	}{
		{"unknown page id", map[string]any{"facebookPageId": "123456789"}, 404},
		{"non-numeric page id", map[string]any{"facebookPageId": "abc"}, 400},
		{"unknown domain", map[string]any{"domain": "nope.example"}, 404},
		{"unknown folder", map[string]any{"domain": "nope.example", "folderId": 999}, 404},
		{"folder id not an integer", map[string]any{"domain": "nope.example", "folderId": "x"}, 400},
		{"empty body", nil, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantStatus(t, e.do("POST", "/v1/brandtrackers", sandbox.DemoKey, tt.body), tt.status)
		})
	}
}

func TestDelegatedKeysMayReadButNotWrite(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	ws := e.s.NewWorkspace(sandbox.Credits{})
	delegated := e.s.NewKey(ws, "delegated_user")
	first := e.get("/v1/brandtrackers?limit=1", delegated)
	wantStatus(t, first, 200)
	id := first.json(t)["data"].([]any)[0].(map[string]any)["id"].(string)
	tests := []struct {
		name, method, path string
		body               any
		key                string
		status             int
	}{
		{"delegated create", "POST", "/v1/brandtrackers", map[string]any{"domain": "x.example"}, delegated, 403},
		{"delegated delete", "DELETE", "/v1/brandtrackers/" + id, nil, delegated, 403},
		{"built-in delegated key create", "POST", "/v1/brandtrackers", map[string]any{"domain": "x.example"}, sandbox.KeyDelegated, 403},
		{"delegated read", "GET", "/v1/brandtrackers/" + id, nil, delegated, 200},
		{"full access delete", "DELETE", "/v1/brandtrackers/" + id, nil, ws, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.method, tt.path, tt.key, tt.body)
			wantStatus(t, r, tt.status)
			if tt.status == 403 && r.errCode(t) != "forbidden" {
				t.Errorf("code = %q, want forbidden", r.errCode(t))
			}
		})
	}
}

func TestWorkspacesAreIsolated(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	a := e.s.NewWorkspace(sandbox.Credits{})
	b := e.s.NewWorkspace(sandbox.Credits{Recurring: 100, Topup: 7})
	id := e.get("/v1/brandtrackers?limit=1", a).json(t)["data"].([]any)[0].(map[string]any)["id"].(string)
	wantStatus(t, e.get("/v1/brandtrackers/"+id, b), 404)
	wantStatus(t, e.get("/v1/brandtrackers/"+id+"/ads?limit=5", a), 200)
	if got := e.s.Credits(b); got != (sandbox.Credits{Recurring: 100, Topup: 7}) {
		t.Errorf("b balance = %+v", got)
	}
	if e.s.Spent(b) != 0 || e.s.Spent(a) == 0 {
		t.Errorf("spent a=%d b=%d", e.s.Spent(a), e.s.Spent(b))
	}
}

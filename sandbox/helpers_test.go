package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-mcp/tollgate/internal/fakeclock"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// fakeClock is the shared settable test clock, for Config.Now.
type fakeClock = fakeclock.Clock

func newClock() *fakeClock { return fakeclock.New(time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)) }

// env is a sandbox served over real HTTP.
type env struct {
	t     *testing.T
	s     *sandbox.Server
	url   string
	clock *fakeClock
}

// newEnv starts a sandbox with a fake clock and, unless cfg sets one, no
// rate limit.
func newEnv(t *testing.T, cfg sandbox.Config) *env {
	t.Helper()
	clock := newClock()
	if cfg.Now == nil {
		cfg.Now = clock.Now
	}
	if cfg.RateLimit == (sandbox.RateLimit{}) {
		cfg.RateLimit.Disabled = true
	}
	s := sandbox.New(cfg)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return &env{t: t, s: s, url: ts.URL, clock: clock}
}

// response is what came back.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic map.
func (r *response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object (status %d): %v\n%s", r.status, err, r.body)
	}
	return m
}

// errCode returns error.code of an error envelope.
func (r *response) errCode(t *testing.T) string {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// rows returns len(data) of a collection.
func (r *response) rows(t *testing.T) int {
	t.Helper()
	d, ok := r.json(t)["data"].([]any)
	if !ok {
		t.Fatalf("data is not an array: %s", r.body)
	}
	return len(d)
}

// do sends a request. key "" sends no Authorization header; body, if not
// nil, is sent as JSON (a string is sent verbatim).
func (e *env) do(method, path, key string, body any) *response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			b, err := json.Marshal(body)
			if err != nil {
				e.t.Fatal(err)
			}
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return e.send(req)
}

func (e *env) send(req *http.Request) *response {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (e *env) get(path, key string) *response {
	e.t.Helper()
	return e.do("GET", path, key, nil)
}

// wantStatus fails unless r has the status.
func wantStatus(t *testing.T, r *response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body: %s", r.status, status, r.body)
	}
}

package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
	"github.com/tollgate-mcp/tollgate/internal/opfixtures"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// fixtures are the shared argument fixtures (internal/opfixtures) of one
// workspace of a sandbox, found over HTTP, and the workspace's key.
type fixtures struct {
	key string
	*opfixtures.Fixtures
}

// newFixtures makes a workspace and finds and creates the resources an
// operation may need, through the API over HTTP.
func newFixtures(t *testing.T, e *env) *fixtures {
	t.Helper()
	key := e.s.NewWorkspace(sandbox.Credits{Recurring: 10000, Topup: 1 << 40})
	call := func(t testing.TB, id string, args map[string]any) json.RawMessage {
		t.Helper()
		o, ok := apispec.ByID(id)
		if !ok {
			t.Fatalf("fixture: no operation %s", id)
		}
		path, q, body := render(o, args)
		r := e.send3(o.Method, path, q, body, key)
		if r.status < 200 || r.status > 299 {
			t.Fatalf("fixture: %s %s: status %d: %s", o.Method, path, r.status, r.body)
		}
		var env struct{ Data json.RawMessage }
		if err := json.Unmarshal(r.body, &env); err != nil || env.Data == nil {
			t.Fatalf("fixture: %s %s: no data in %s", o.Method, path, r.body)
		}
		return env.Data
	}
	return &fixtures{key: key, Fixtures: opfixtures.Find(t, call, true)}
}

// request builds a valid request to o: its path, query and body.
func (fx *fixtures) request(o apispec.Operation) (string, url.Values, map[string]any) {
	return render(o, fx.Args(o))
}

// requiredFor returns what else a request needs when param is set to
// value (a required-when constraint), or nil.
func (fx *fixtures) requiredFor(o apispec.Operation, param, value string) (string, any) {
	return fx.RequiredFor(o, param, value)
}

// render puts args (JSON values by name) where o takes them: escaped into
// the path, as query strings (a list as the parameter repeated), or into
// the JSON body (nil when o takes none).
func render(o apispec.Operation, args map[string]any) (string, url.Values, map[string]any) {
	path := o.Path
	q := url.Values{}
	var body map[string]any
	if o.Body != nil {
		body = map[string]any{}
	}
	for _, p := range append(slices.Clone(o.Params), o.Body...) {
		v, ok := args[p.Name]
		if !ok {
			continue
		}
		switch p.In {
		case apispec.InPath:
			path = strings.ReplaceAll(path, "{"+p.Name+"}", url.PathEscape(fmt.Sprint(v)))
		case apispec.InQuery:
			if vs, ok := v.([]any); ok {
				for _, x := range vs {
					q.Add(p.Name, fmt.Sprint(x))
				}
			} else {
				q.Set(p.Name, fmt.Sprint(v))
			}
		case apispec.InBody:
			body[p.Name] = v
		}
	}
	return path, q, body
}

func (e *env) send3(method, path string, q url.Values, body map[string]any, key string) *response {
	e.t.Helper()
	u := path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	if body != nil {
		return e.do(method, u, key, body)
	}
	return e.do(method, u, key, nil)
}

var (
	docOnce sync.Once
	doc     *openapi3.T
)

func document(t *testing.T) *openapi3.T {
	docOnce.Do(func() {
		d, err := openapi3.NewLoader().LoadFromData(apispec.Document())
		if err != nil {
			panic(err)
		}
		doc = d
	})
	return doc
}

// checkShape validates a success body against the document's schema of
// that answer.
func checkShape(t *testing.T, o apispec.Operation, r *response) {
	t.Helper()
	op := document(t).Paths.Value(o.Path).GetOperation(o.Method)
	resp := op.Responses.Value(strconv.Itoa(r.status))
	if resp == nil {
		t.Errorf("status %d is not documented", r.status)
		return
	}
	mt := resp.Value.Content.Get("application/json")
	if mt == nil {
		return
	}
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	if err := mt.Schema.Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
		t.Errorf("answer does not match the documented schema:\n%v\nbody: %.600s", err, r.body)
	}
}

// checkCost checks the metering headers against the operation's cost model
// and returns the credits charged.
func checkCost(t *testing.T, o apispec.Operation, r *response, reserved int64) int64 {
	t.Helper()
	h := r.header.Get("X-Usage-Cost")
	if o.Cost.Model == apispec.CostFree {
		if o.ID == "getUsage" {
			if h != "0" {
				t.Errorf("usage: X-Usage-Cost %q, want 0", h)
			}
		} else if h != "" {
			t.Errorf("free operation sends X-Usage-Cost %q", h)
		}
		return 0
	}
	cost, err := strconv.ParseInt(h, 10, 64)
	if err != nil || r.header.Get("X-Credits-Remaining") == "" || r.header.Get("X-Credits-Source") == "" || r.header.Get("X-Credits-Used") != h {
		t.Fatalf("metered operation without metering headers: %v", r.header)
	}
	if cost > o.Cost.Max || cost > reserved {
		t.Errorf("charged %d, above the documented bound %d or the reservation %d", cost, o.Cost.Max, reserved)
	}
	var want int64
	switch o.Cost.Model {
	case apispec.CostPerRow, apispec.CostPerSeries:
		rows, _ := r.json(t)["data"].([]any)
		want = int64(len(rows))
	case apispec.CostPerItem:
		want = 1
	case apispec.CostFixed:
		want = o.Cost.Max
	}
	if cost != want {
		t.Errorf("charged %d, want %d under %s", cost, want, o.Cost.Model)
	}
	return cost
}

// envFor returns a sandbox and its fixtures for a subtest of o: a fresh
// one for writes (they change what later requests see), one shared by the
// reads of the parent test otherwise.
func envFor(t *testing.T, o apispec.Operation, shared func() (*env, *fixtures)) (*env, *fixtures) {
	if !o.ReadOnly() {
		e := newEnv(t, sandbox.Config{})
		return e, newFixtures(t, e)
	}
	se, fx := shared()
	e := *se
	e.t = t
	return &e, fx
}

// sharedEnv returns a function giving the parent test's shared sandbox.
func sharedEnv(t *testing.T) func() (*env, *fixtures) {
	return sync.OnceValues(func() (*env, *fixtures) {
		e := newEnv(t, sandbox.Config{})
		return e, newFixtures(t, e)
	})
}

// TestEveryOperation calls every operation of the table over HTTP, with
// its limit omitted and at its maximum, and checks the status, the
// pagination, what it charged against the documented bound, and that the
// answer has the documented shape.
func TestEveryOperation(t *testing.T) {
	// The routes share apispec's table: serving must not change it.
	before := apispec.Operations()
	t.Cleanup(func() {
		if !reflect.DeepEqual(before, apispec.Table()) {
			t.Error("serving every operation changed apispec's shared table")
		}
	})
	shared := sharedEnv(t)
	shared()
	for _, o := range apispec.Operations() {
		t.Run(o.ID, func(t *testing.T) {
			t.Parallel()
			e, fx := envFor(t, o, shared)
			path, q, body := fx.request(o)
			key := fx.key
			if o.Access == apispec.AccessPublic {
				key = ""
			}
			want := o.Response.Status
			if want == 0 {
				want = 200
			}
			check := func(q url.Values, limit int64) *response {
				t.Helper()
				r := e.send3(o.Method, path, q, body, key)
				if r.status != want && !(o.Write.Kind == apispec.WriteUpsert && r.status == 200) {
					t.Fatalf("%s %s?%s: status %d, want %d: %.500s", o.Method, path, q.Encode(), r.status, want, r.body)
				}
				if o.Response.Shape == apispec.ShapeRaw {
					if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, o.Response.ContentType) {
						t.Errorf("Content-Type %q, want %s", ct, o.Response.ContentType)
					}
					return r
				}
				checkShape(t, o, r)
				checkCost(t, o, r, o.Reservation(limit))
				if o.Paging != apispec.PagingNone {
					pg, _ := r.json(t)["pagination"].(map[string]any)
					wantLimit := limit
					if wantLimit == 0 {
						wantLimit, _, _ = o.Limit()
					}
					if _, ok := o.Param("limit"); ok && int64(pg["limit"].(float64)) != wantLimit {
						t.Errorf("pagination.limit %v, want %d", pg["limit"], wantLimit)
					}
				}
				return r
			}
			check(q, 0)
			if p, ok := o.Param("limit"); ok {
				if p.In == apispec.InBody {
					body["limit"] = *p.Max
				} else {
					q.Set("limit", strconv.FormatInt(*p.Max, 10))
				}
				check(q, *p.Max)
			}
		})
	}
}

// TestEveryWriteIsRefusedToDelegatedKeysWhereTheTableSaysSo checks access.
func TestWritersNeedAFullAccessKey(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	fx := newFixtures(t, e)
	for _, o := range apispec.Operations() {
		if o.Access != apispec.AccessWriter {
			continue
		}
		path, q, body := fx.request(o)
		r := e.send3(o.Method, path, q, body, sandbox.KeyDelegated)
		if r.status != 403 || r.errCode(t) != "forbidden" {
			t.Errorf("%s with a delegated key: %d %s", o.Key(), r.status, r.body)
		}
	}
}

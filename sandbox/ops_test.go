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
	"github.com/tollgate-mcp/tollgate/sandbox"
)

// fixtures are ids of real resources of one sandbox, so that a request to
// any operation can be built that succeeds.
type fixtures struct {
	key                string
	ad, adv            string
	shop, domain       string
	tracker            string
	trackerFolder      int64
	email, tiktok      string
	favFolder, favMove map[string]string // by kind: a folder, another folder
	favSaved, favItem  map[string]string // by kind: a saved-row id, the saved thing
}

// newFixtures finds and creates the resources an operation may need.
func newFixtures(t *testing.T, e *env) *fixtures {
	t.Helper()
	key := e.s.NewWorkspace(sandbox.Credits{Recurring: 10000, Topup: 1 << 40})
	fx := &fixtures{key: key, favFolder: map[string]string{}, favMove: map[string]string{}, favSaved: map[string]string{}, favItem: map[string]string{}}
	first := func(r *response) map[string]any {
		t.Helper()
		rows, _ := r.json(t)["data"].([]any)
		if len(rows) == 0 {
			t.Fatalf("fixture: no rows in %s", r.body)
		}
		return rows[0].(map[string]any)
	}
	ad := first(e.get("/v1/ads?search=coffee&limit=1&mediaType=video", key))
	fx.ad = ad["id"].(string)
	fx.adv = ad["advertiser"].(map[string]any)["id"].(string)
	shop := first(e.get("/v1/shops?limit=1", key))
	fx.shop, fx.domain = shop["id"].(string), shop["domain"].(string)
	tr := first(e.get("/v1/brandtrackers?limit=1&sortBy=activeAds", key))
	fx.tracker = tr["id"].(string)
	folders := e.get("/v1/brandtrackers/folders", key).json(t)["data"].([]any)
	fx.trackerFolder = int64(folders[0].(map[string]any)["id"].(float64))
	fx.email = first(e.do("POST", "/v1/emails/query", key, map[string]any{"limit": 1}))["id"].(string)
	fx.tiktok = first(e.get("/v1/tiktok/library?limit=1", key))["id"].(string)
	items := map[string][2]string{"ads": {"adId", fx.ad}, "shops": {"websiteId", fx.shop}, "emails": {"emailId", fx.email}}
	for kind, it := range items {
		base := "/v1/favorites/" + kind
		a := e.do("POST", base+"/folders?scope=workspace", key, map[string]any{"name": "A"})
		b := e.do("POST", base+"/folders?scope=workspace", key, map[string]any{"name": "B"})
		wantStatus(t, a, 201)
		fx.favFolder[kind] = a.json(t)["data"].(map[string]any)["id"].(string)
		fx.favMove[kind] = b.json(t)["data"].(map[string]any)["id"].(string)
		s := e.do("POST", base+"?scope=workspace", key, map[string]any{it[0]: it[1], "folderId": fx.favFolder[kind]})
		wantStatus(t, s, 201)
		fx.favSaved[kind] = fmt.Sprint(s.json(t)["data"].(map[string]any)["id"])
		fx.favItem[kind] = it[1]
	}
	return fx
}

// value returns a value for parameter p of o that makes a valid request,
// or nil when p is better left out.
func (fx *fixtures) value(o apispec.Operation, p apispec.Param) any {
	kind := ""
	if o.Tag == "Favorites" {
		kind = strings.Split(o.Path, "/")[3]
	}
	switch p.Name {
	case "adId":
		return fx.ad
	case "advertiserId":
		return fx.adv
	case "shopId", "identifier":
		if p.In != apispec.InPath {
			return nil // the operations that take it in the query or body take one of several ids
		}
		return fx.shop
	case "websiteId":
		if p.In == apispec.InBody && o.ID == "createBrandtracker" {
			return nil
		}
		return fx.shop
	case "brandtrackerId":
		return fx.tracker
	case "brandtrackerIds":
		if p.Example != nil {
			return []string{fx.tracker}
		}
	case "folderId":
		if kind != "" {
			if strings.HasPrefix(o.ID, "moveSaved") {
				return fx.favMove[kind]
			}
			if p.In == apispec.InPath {
				return fx.favFolder[kind]
			}
			return nil
		}
		if p.In == apispec.InPath {
			return strconv.FormatInt(fx.trackerFolder, 10)
		}
		if p.Required {
			return fx.trackerFolder
		}
		return nil
	case "favoriteId":
		return fx.favSaved[kind]
	case "emailId":
		return fx.email
	case "itemId":
		return fx.tiktok
	case "domain", "scopeDomain":
		if p.Example != nil {
			return fx.domain
		}
	case "facebookPageId":
		if p.Example != nil {
			return fx.adv
		}
	case "folderIds":
		if p.Required {
			return []string{fx.favFolder[kind], fx.favMove[kind]}
		}
	case "targetFolderId", "parentId":
		return nil
	}
	if p.Example != nil || p.Required {
		return p.Example
	}
	return nil
}

// request builds a valid request to o: its path, query and body.
func (fx *fixtures) request(o apispec.Operation) (string, url.Values, map[string]any) {
	path := o.Path
	q := url.Values{}
	var body map[string]any
	if o.Body != nil {
		body = map[string]any{}
	}
	for _, p := range append(slices.Clone(o.Params), o.Body...) {
		v := fx.value(o, p)
		if v == nil {
			continue
		}
		switch p.In {
		case apispec.InPath:
			path = strings.ReplaceAll(path, "{"+p.Name+"}", url.PathEscape(fmt.Sprint(v)))
		case apispec.InQuery:
			if vs, ok := v.([]string); ok {
				q[p.Name] = vs
			} else {
				q.Set(p.Name, fmt.Sprint(v))
			}
		case apispec.InBody:
			body[p.Name] = v
		}
	}
	return path, q, body
}

// requiredFor returns what else a request needs when param is set to
// value (a required-when constraint), or nil.
func (fx *fixtures) requiredFor(o apispec.Operation, param, value string) (string, any) {
	for _, c := range o.Constraints {
		if c.Kind == apispec.RequiredWhen && c.If == param && c.Equals == value {
			switch c.Params[0] {
			case "targetFolderId":
				return c.Params[0], fx.favMove[strings.Split(o.Path, "/")[3]]
			case "value":
				return c.Params[0], "Shop Now"
			}
		}
	}
	return "", nil
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

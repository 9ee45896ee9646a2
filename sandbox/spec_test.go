package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
	"github.com/tollgate-mcp/tollgate/sandbox"
)

func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(apispec.Document())
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// docParam is a parameter of the document in the terms of sandbox.ParamSpec.
func docParam(name string, s *openapi3.Schema, required, deprecated bool) sandbox.ParamSpec {
	p := sandbox.ParamSpec{Name: name, Required: required, Deprecated: deprecated, Type: s.Type.Slice()[0]}
	enumOf := func(s *openapi3.Schema) []string {
		var out []string
		for _, v := range s.Enum {
			out = append(out, v.(string))
		}
		return out
	}
	p.Enum = enumOf(s)
	if p.Type == "array" {
		p.Enum = enumOf(s.Items.Value)
		p.ItemPattern = s.Items.Value.Pattern
	}
	if s.Min != nil {
		v := int64(*s.Min)
		p.Min = &v
	}
	if s.Max != nil {
		v := int64(*s.Max)
		p.Max = &v
	}
	switch d := s.Default.(type) {
	case float64:
		p.Default = int64(d)
	default:
		p.Default = d
	}
	for k := range s.Properties {
		p.Properties = append(p.Properties, k)
	}
	slices.Sort(p.Properties)
	return p
}

func norm(ps []sandbox.ParamSpec) map[string]string {
	out := map[string]string{}
	for _, p := range ps {
		p.Enum = slices.Clip(p.Enum)
		if len(p.Enum) == 0 {
			p.Enum = nil
		}
		min, max := "-", "-"
		if p.Min != nil {
			min = fmt.Sprint(*p.Min)
		}
		if p.Max != nil {
			max = fmt.Sprint(*p.Max)
		}
		out[p.Name] = fmt.Sprintf("type=%s enum=%v pattern=%q min=%s max=%s default=%v required=%v deprecated=%v props=%v",
			p.Type, p.Enum, p.ItemPattern, min, max, p.Default, p.Required, p.Deprecated, p.Properties)
	}
	return out
}

// TestDocumentMatchesTheRouteTable checks route for route, parameter for
// parameter, that /v1/openapi.json describes exactly what the sandbox does.
func TestDocumentMatchesTheRouteTable(t *testing.T) {
	doc := loadSpec(t)
	seen := map[string]bool{}
	for _, rt := range sandbox.Routes() {
		name := rt.Method + " " + rt.Pattern
		seen[name] = true
		item := doc.Paths.Value(rt.Pattern)
		if item == nil || item.GetOperation(rt.Method) == nil {
			t.Errorf("%s is served but not documented", name)
			continue
		}
		op := item.GetOperation(rt.Method)
		if op.OperationID != rt.OperationID {
			t.Errorf("%s: operationId %q, sandbox calls it %q", name, op.OperationID, rt.OperationID)
		}
		public := op.Security != nil && len(*op.Security) == 0
		if public == rt.Auth {
			t.Errorf("%s: document says public=%v, sandbox says auth=%v", name, public, rt.Auth)
		}
		var query []sandbox.ParamSpec
		var pathParams []string
		for _, pr := range op.Parameters {
			p := pr.Value
			switch p.In {
			case "query":
				query = append(query, docParam(p.Name, p.Schema.Value, p.Required, p.Deprecated))
			case "path":
				pathParams = append(pathParams, "{"+p.Name+"}")
			}
		}
		diffSpecs(t, name+" query", norm(query), norm(rt.Query))
		for _, seg := range strings.Split(rt.Pattern, "/") {
			if strings.HasPrefix(seg, "{") && !slices.Contains(pathParams, seg) {
				t.Errorf("%s: path parameter %s is not documented", name, seg)
			}
		}
		if (op.RequestBody != nil) != (rt.Body != nil) {
			t.Errorf("%s: document has body=%v, sandbox has body=%v", name, op.RequestBody != nil, rt.Body != nil)
			continue
		}
		if rt.Body != nil {
			s := op.RequestBody.Value.Content.Get("application/json").Schema.Value
			var props []sandbox.ParamSpec
			for n, ps := range s.Properties {
				props = append(props, docParam(n, ps.Value, slices.Contains(s.Required, n), ps.Value.Deprecated))
			}
			diffSpecs(t, name+" body", norm(props), norm(rt.Body))
		}
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !seen[method+" "+path] {
				t.Errorf("%s %s is documented but not served", method, path)
			}
		}
	}
}

// diffSpecs reports each parameter that the document and the sandbox
// describe differently.
func diffSpecs(t *testing.T, where string, doc, served map[string]string) {
	t.Helper()
	if reflect.DeepEqual(doc, served) {
		return
	}
	for n, d := range doc {
		if s, ok := served[n]; !ok {
			t.Errorf("%s: %s is documented but not validated by the sandbox", where, n)
		} else if s != d {
			t.Errorf("%s: %s differs\ndocument: %s\n sandbox: %s", where, n, d, s)
		}
	}
	for n := range served {
		if _, ok := doc[n]; !ok {
			t.Errorf("%s: %s is validated by the sandbox but not documented", where, n)
		}
	}
}

// TestServedDocumentIsTheEmbeddedOne checks GET /v1/openapi.json.
func TestServedDocumentIsTheEmbeddedOne(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	r := e.get("/v1/openapi.json", "")
	wantStatus(t, r, 200)
	if string(r.body) != string(apispec.Document()) {
		t.Fatal("served document differs from apispec.Document()")
	}
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Errorf("Content-Type = %q", r.header.Get("Content-Type"))
	}
}

// invalidValues returns values that the schema forbids, each with a label.
func invalidValues(s *openapi3.Schema) map[string]any {
	out := map[string]any{}
	switch {
	case s.Type.Is("integer"):
		out["not an integer"] = "abc"
		if s.Min != nil {
			out["below minimum"] = int64(*s.Min) - 1
		}
		if s.Max != nil {
			out["above maximum"] = int64(*s.Max) + 1
		}
	case s.Type.Is("boolean"):
		out["not a boolean"] = "maybe"
	case s.Type.Is("array"):
		if len(s.Items.Value.Enum) > 0 {
			out["item outside enum"] = []string{"bogus-value"}
		}
		if s.Items.Value.Pattern != "" {
			out["item not matching pattern"] = []string{"123"}
		}
	case s.Type.Is("object"):
		for n, p := range s.Properties {
			for label, v := range invalidValues(p.Value) {
				out[n+" "+label] = map[string]any{n: v}
			}
		}
	case s.Type.Is("string"):
		if len(s.Enum) > 0 {
			out["outside enum"] = "bogus-value"
		} else if s.MinLength > 0 {
			out["empty"] = ""
		}
	}
	return out
}

// TestSandboxEnforcesTheDocumentedParameters drives every documented
// parameter and body property with values the document forbids and
// expects a 400 naming it, and with every documented enum value and
// expects no 400.
func TestSandboxEnforcesTheDocumentedParameters(t *testing.T) {
	doc := loadSpec(t)
	e := newEnv(t, sandbox.Config{})
	key := e.s.NewWorkspace(sandbox.Credits{Recurring: 10000, Topup: 1 << 40})
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			public := op.Security != nil && len(*op.Security) == 0
			if public {
				continue
			}
			t.Run(op.OperationID, func(t *testing.T) {
				target := path
				base := url.Values{}
				for _, pr := range op.Parameters {
					p := pr.Value
					if p.In == "path" {
						target = strings.ReplaceAll(target, "{"+p.Name+"}", "unknown-id")
					}
					if p.In == "query" && p.Required {
						base.Set(p.Name, fmt.Sprint(p.Example))
					}
				}
				var baseBody map[string]any
				var bodySchema *openapi3.Schema
				if op.RequestBody != nil {
					bodySchema = op.RequestBody.Value.Content.Get("application/json").Schema.Value
					baseBody = map[string]any{}
					if ex, ok := bodySchema.Example.(map[string]any); ok {
						baseBody = ex
					}
				}
				send := func(q url.Values, body map[string]any) *response {
					u := target
					if len(q) > 0 {
						u += "?" + q.Encode()
					}
					if body != nil {
						return e.do(method, u, key, body)
					}
					return e.do(method, u, key, nil)
				}
				if r := send(base, baseBody); r.status == 400 {
					t.Fatalf("baseline request is invalid: %s", r.body)
				}
				expect400 := func(label, field string, r *response) {
					t.Helper()
					if r.status != 400 {
						t.Errorf("%s: status %d, want 400", label, r.status)
						return
					}
					for _, v := range validationErrors(t, r) {
						if v["field"] == field {
							return
						}
					}
					t.Errorf("%s: no validation error for %s in %s", label, field, r.body)
				}
				for _, pr := range op.Parameters {
					p := pr.Value
					if p.In != "query" {
						continue
					}
					if p.Required {
						q := url.Values{}
						for k, v := range base {
							if k != p.Name {
								q[k] = v
							}
						}
						expect400(p.Name+" omitted", "query-string."+p.Name, send(q, baseBody))
					}
					for label, v := range invalidValues(p.Schema.Value) {
						q := url.Values{}
						for k, vs := range base {
							q[k] = vs
						}
						if arr, ok := v.([]string); ok {
							q[p.Name] = arr
						} else {
							q.Set(p.Name, fmt.Sprint(v))
						}
						expect400(p.Name+" "+label, "query-string."+p.Name, send(q, baseBody))
					}
					for _, ev := range p.Schema.Value.Enum {
						q := url.Values{}
						for k, vs := range base {
							q[k] = vs
						}
						q.Set(p.Name, ev.(string))
						if r := send(q, baseBody); r.status == 400 {
							t.Errorf("%s=%v is documented but rejected: %s", p.Name, ev, r.body)
						}
					}
				}
				if bodySchema == nil {
					return
				}
				for name, ps := range bodySchema.Properties {
					for label, v := range invalidValues(ps.Value) {
						body := map[string]any{}
						for k, x := range baseBody {
							body[k] = x
						}
						body[name] = v
						field := "body." + name
						if m, ok := v.(map[string]any); ok {
							for sub := range m {
								field += "." + sub
							}
						}
						expect400(name+" "+label, field, send(nil, body))
					}
					if ps.Value.Type.Is("string") && len(ps.Value.Enum) == 0 {
						body := map[string]any{}
						for k, x := range baseBody {
							body[k] = x
						}
						body[name] = json.Number("5")
						expect400(name+" not a string", "body."+name, send(nil, body))
					}
					for _, ev := range ps.Value.Enum {
						body := map[string]any{}
						for k, x := range baseBody {
							body[k] = x
						}
						body[name] = ev
						if r := send(nil, body); r.status == 400 {
							t.Errorf("body %s=%v is documented but rejected: %s", name, ev, r.body)
						}
					}
				}
			})
		}
	}
}

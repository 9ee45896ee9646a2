package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/url"
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
	shared := sharedEnv(t)
	shared()
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			public := op.Security != nil && len(*op.Security) == 0
			if public {
				continue
			}
			o, _ := apispec.Lookup(method, path)
			t.Run(op.OperationID, func(t *testing.T) {
				t.Parallel()
				e, fx := envFor(t, o, shared)
				key := fx.key
				target, base, baseBody := fx.request(o)
				var bodySchema *openapi3.Schema
				if op.RequestBody != nil {
					bodySchema = op.RequestBody.Value.Content.Get("application/json").Schema.Value
				}
				send := func(q url.Values, body map[string]any) *response {
					return e.send3(method, target, q, body, key)
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
						if name, v := fx.requiredFor(o, p.Name, ev.(string)); name != "" {
							q.Set(name, fmt.Sprint(v))
						}
						if r := send(q, baseBody); r.status == 400 {
							t.Errorf("%s=%v is documented but rejected: %s", p.Name, ev, r.body)
						}
					}
				}
				if bodySchema == nil {
					return
				}
				for _, name := range bodySchema.Required {
					body := map[string]any{}
					for k, x := range baseBody {
						if k != name {
							body[k] = x
						}
					}
					expect400(name+" omitted", "body."+name, send(base, body))
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
						expect400(name+" "+label, field, send(base, body))
					}
					if ps.Value.Type.Is("string") && len(ps.Value.Enum) == 0 {
						body := map[string]any{}
						for k, x := range baseBody {
							body[k] = x
						}
						body[name] = json.Number("5")
						expect400(name+" not a string", "body."+name, send(base, body))
					}
					for _, ev := range ps.Value.Enum {
						body := map[string]any{}
						for k, x := range baseBody {
							body[k] = x
						}
						body[name] = ev
						if n, v := fx.requiredFor(o, name, fmt.Sprint(ev)); n != "" {
							body[n] = v
						}
						if r := send(base, body); r.status == 400 {
							t.Errorf("body %s=%v is documented but rejected: %s", name, ev, r.body)
						}
					}
				}
			})
		}
	}
}

package apispec_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
)

func load(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(apispec.Document())
	if err != nil {
		t.Fatalf("openapi.json does not parse as OpenAPI: %v", err)
	}
	return doc
}

func TestDocumentIsValidOpenAPI3(t *testing.T) {
	doc := load(t)
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not valid OpenAPI 3: %v", err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	if doc.Info.Title != "TrendTrack Public API" || doc.Info.Version == "" {
		t.Errorf("info = %q %q, want title TrendTrack Public API and a version", doc.Info.Title, doc.Info.Version)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "https://api.trendtrack.io" {
		t.Errorf("servers = %v, want exactly https://api.trendtrack.io", doc.Servers)
	}
	ss := doc.Components.SecuritySchemes["publicApiBearer"]
	if ss == nil || ss.Value.Type != "http" || ss.Value.Scheme != "bearer" {
		t.Errorf("components.securitySchemes.publicApiBearer must be an http bearer scheme")
	}
}

func TestDocumentDescribesEveryOperationFully(t *testing.T) {
	doc := load(t)
	var want []string
	for _, o := range apispec.Operations() {
		want = append(want, o.ID)
	}
	// The operationIds tollgate's overlay knew before the whole API was
	// described must keep their names.
	for _, id := range []string{"listAds", "queryAds", "getAd", "listAdvertisers", "getAdvertiser", "listAdvertiserAds",
		"listShops", "getShop", "listBrandtrackers", "createBrandtracker", "getBrandtracker", "deleteBrandtracker",
		"listBrandtrackerAds", "queryGoogleAds", "listTiktokLibrary", "lookup", "getUsage", "getMe", "getWorkspace",
		"getHealth", "getApiInfo", "getOpenapi"} {
		if !slices.Contains(want, id) {
			t.Errorf("operationId %s is gone", id)
		}
	}
	camel := regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)
	var got []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			got = append(got, op.OperationID)
			if !camel.MatchString(op.OperationID) {
				t.Errorf("%s: operationId %q is not camelCase", name, op.OperationID)
			}
			if op.Summary == "" || len(op.Tags) == 0 {
				t.Errorf("%s: needs a summary and tags", name)
			}
			if d := strings.ToLower(op.Description); !strings.Contains(d, "credit") {
				t.Errorf("%s: description must state the credit cost: %q", name, op.Description)
			}
			o, _ := apispec.ByID(op.OperationID)
			success := "200"
			if o.Response.Status != 0 {
				success = fmt.Sprint(o.Response.Status)
			}
			if op.Responses.Value(success) == nil {
				t.Errorf("%s: no %s response", name, success)
			}
			codes := []string{"404", "500"}
			public := op.Security != nil && len(*op.Security) == 0
			if !public {
				codes = append(codes, "400", "401", "402", "403", "429")
			}
			for _, code := range codes {
				r := op.Responses.Value(code)
				if r == nil || r.Ref == "" {
					t.Errorf("%s: response %s must reference a shared component", name, code)
					continue
				}
				s := r.Value.Content.Get("application/json").Schema
				if s == nil || s.Ref != "#/components/schemas/Error" {
					t.Errorf("%s: response %s must use the shared Error schema", name, code)
				}
			}
			for _, p := range op.Parameters {
				pv := p.Value
				if pv.Schema == nil || pv.Schema.Value.Type == nil {
					t.Errorf("%s: parameter %s has no typed schema", name, pv.Name)
					continue
				}
				if pv.Name == "limit" {
					s := pv.Schema.Value
					if s.Min == nil || *s.Min != 1 || s.Max == nil || s.Default == nil {
						t.Errorf("%s: limit must have minimum 1, a maximum and a default", name)
					}
				}
				if pv.Schema.Value.Type.Is("array") && (pv.Style != "form" || pv.Explode == nil || !*pv.Explode) {
					t.Errorf("%s: array parameter %s must be style form, explode true", name, pv.Name)
				}
			}
			if op.RequestBody != nil {
				s := op.RequestBody.Value.Content.Get("application/json").Schema.Value
				if len(s.Properties) == 0 {
					t.Errorf("%s: request body schema lists no properties", name)
				}
			}
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("operationIds:\n got %v\nwant %v", got, want)
	}
}

func TestDocumentReturnsACopy(t *testing.T) {
	a := apispec.Document()
	a[0] = 'X'
	if apispec.Document()[0] == 'X' {
		t.Fatal("Document must return a fresh copy each call")
	}
}

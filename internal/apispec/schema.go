package apispec

import (
	"reflect"
	"strings"
)

// The response shapes are Go types; their JSON schemas are derived by
// reflection, so the document and the sandbox (which answers with these
// types) cannot disagree:
//
//   - a field's name is its json tag; it is required unless the tag says
//     omitempty;
//   - a pointer is nullable; a slice is an array; a map is an object with
//     additionalProperties; an embedded struct's fields are inlined;
//   - DateTime and Date are strings of format date-time and date;
//   - the tag enum:"a,b" lists a string's values and doc:"..." describes it;
//   - every named struct of this package is a component schema of its name.

// responseTypes are the schemas operations name in Response.Schema and
// Response.Meta, plus the envelope schemas.
var responseTypes = typesByName(
	AdSummary{}, AdDetail{}, ReachPoint{}, AdMediaURL{}, Share{}, LandingPageFacet{},
	AdvertiserSummary{}, AdvertiserDetail{}, AdvertisersMeta{},
	Brandtracker{}, DeletedBrandtracker{}, BrandtrackerFolder{}, DeletedBrandtrackerFolder{},
	WorkspaceLinksMove{}, WorkspaceLinksDeletion{}, Snapshot{}, PartnershipAd{}, PartnershipCount{},
	Hook{}, Transcript{}, Headline{}, AdCopy{}, LandingPage{}, LandingPageSimple{}, Creative{}, Partner{},
	MediaMixRow{}, DemographyRow{}, TopAd{}, RankedAd{}, EvolutionSeries{}, MetricSeries{}, DateRange{},
	TimelineEvent{}, TimelineMetadata{}, TestingMeta{}, Overview{},
	LookupRow{}, LookupMeta{}, FacebookShopLink{},
	Email{}, EmailDetail{}, EmailHTML{}, EmailStats{}, Facet{},
	FavoriteAd{}, FavoriteShop{}, FavoriteEmail{}, FavoriteFolder{}, RemovedFavorite{}, DeletedFavoriteFolder{},
	GoogleAd{}, GoogleFacet{}, ShopSummary{}, ShopDetail{}, SimilarShopsMeta{}, ShopProduct{}, SocialsPoint{},
	TiktokItem{}, TiktokDetail{},
	WorkspaceTopAd{}, WorkspaceHook{}, WorkspaceAdCopy{}, WorkspaceLandingPage{}, WorkspaceScalingAd{}, WorkspaceMediaMix{},
	APIInfo{}, Health{}, Freshness{}, Me{}, WorkspaceInfo{}, Usage{},
	PagePagination{}, OffsetPagination{}, Error{}, ValidationError{},
)

func typesByName(vs ...any) map[string]reflect.Type {
	out := make(map[string]reflect.Type, len(vs))
	for _, v := range vs {
		t := reflect.TypeOf(v)
		out[t.Name()] = t
	}
	return out
}

// SchemaType returns the Go type of the component schema called name
// (the Schema or Meta of an operation's Response).
func SchemaType(name string) (reflect.Type, bool) {
	t, ok := responseTypes[name]
	return t, ok
}

var (
	dateTimeType = reflect.TypeOf(DateTime(""))
	dateType     = reflect.TypeOf(Date(""))
	pkgPath      = reflect.TypeOf(Date("")).PkgPath()
)

// schemaGen collects component schemas.
type schemaGen struct {
	comps map[string]any
}

// ref returns a $ref to the component schema of the named struct t,
// generating it on first use.
func (g *schemaGen) ref(t reflect.Type) map[string]any {
	name := t.Name()
	if _, ok := g.comps[name]; !ok {
		g.comps[name] = nil // placeholder: a type may refer to itself
		g.comps[name] = g.object(t)
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch t {
	case dateTimeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case dateType:
		return map[string]any{"type": "string", "format": "date"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := g.schema(t.Elem())
		if _, isRef := s["$ref"]; isRef {
			return map[string]any{"allOf": []any{s}, "nullable": true}
		}
		s["nullable"] = true
		return s
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Int, reflect.Int64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Struct:
		if t.Name() != "" && t.PkgPath() == pkgPath {
			return g.ref(t)
		}
		return g.object(t)
	}
	panic("apispec: no JSON schema for Go type " + t.String())
}

// object returns the schema of struct t.
func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	g.fields(t, props, &required)
	s := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			g.fields(f.Type, props, required)
			continue
		}
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := g.schema(f.Type)
		if e := f.Tag.Get("enum"); e != "" {
			var vals []any
			for _, v := range strings.Split(e, ",") {
				vals = append(vals, v)
			}
			s["enum"] = vals
		}
		if d := f.Tag.Get("doc"); d != "" {
			if _, isRef := s["$ref"]; !isRef {
				s["description"] = d
			}
		}
		props[name] = s
		if !strings.Contains(opts, "omitempty") {
			*required = append(*required, name)
		}
	}
}

package sandbox

// This file exposes the route table to the external tests, which compare it
// with the OpenAPI document.

// ParamSpec is one validated query parameter or body property, in OpenAPI
// terms.
type ParamSpec struct {
	Name        string
	Type        string   // string, integer, boolean, array or object
	Enum        []string // allowed values (of the items, for arrays)
	ItemPattern string   // pattern of array items, if any
	Min, Max    *int64
	Default     any // string, int64, bool or nil
	Required    bool
	Deprecated  bool
	Properties  []string // for objects
}

// RouteSpec is one route of the sandbox.
type RouteSpec struct {
	Method, Pattern, OperationID string
	Auth                         bool
	Query                        []ParamSpec
	Body                         []ParamSpec // nil when the route takes no body
}

// Routes returns the sandbox's route table.
func Routes() []RouteSpec {
	var out []RouteSpec
	for _, r := range routeTable() {
		rs := RouteSpec{Method: r.method, Pattern: r.pattern, OperationID: r.op, Auth: r.auth}
		for _, p := range r.query {
			rs.Query = append(rs.Query, spec(p))
		}
		if r.body != nil {
			rs.Body = []ParamSpec{}
			for _, p := range r.body {
				rs.Body = append(rs.Body, spec(p))
			}
		}
		out = append(out, rs)
	}
	return out
}

func spec(p param) ParamSpec {
	s := ParamSpec{Name: p.name, Enum: p.enum, Min: p.min, Max: p.max, Default: p.def, Required: p.required, Deprecated: p.deprecated}
	switch p.kind {
	case kString, kEnum, kDateTime:
		s.Type = "string"
	case kInt:
		s.Type = "integer"
	case kBool:
		s.Type = "boolean"
	case kStrings, kEnums:
		s.Type = "array"
	case kCountries:
		s.Type, s.ItemPattern = "array", countryCode.String()
	case kInOut:
		s.Type, s.Properties = "object", []string{"exclude", "include"}
	}
	return s
}

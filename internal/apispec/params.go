package apispec

// Constructors the operation table is written with. They build query
// parameters; body() moves a list into the JSON body and path() makes a
// path parameter.

func i64(v int64) *int64 { return &v }

func path(name, desc string, example string) Param {
	return Param{Name: name, In: InPath, Type: TypeString, Required: true, Description: desc, Example: example}
}

func str(name, desc string) Param {
	return Param{Name: name, In: InQuery, Type: TypeString, Description: desc}
}

func strMax(name string, maxLen int, desc string) Param {
	p := str(name, desc)
	p.MaxLength = maxLen
	return p
}

func required(p Param, example any) Param {
	p.Required = true
	p.Example = example
	return p
}

// example sets a value that makes a valid request, for a parameter that
// is not required but is needed for one (exactly-one constraints).
func example(p Param, v any) Param {
	p.Example = v
	return p
}

func enum(name, def, desc string, values ...string) Param {
	p := Param{Name: name, In: InQuery, Type: TypeString, Enum: values, Description: desc}
	if def != "" {
		p.Default = def
	}
	return p
}

func integer(name string, min, max *int64, def *int64, desc string) Param {
	p := Param{Name: name, In: InQuery, Type: TypeInteger, Min: min, Max: max, Description: desc}
	if def != nil {
		p.Default = *def
	}
	return p
}

// atLeast is an integer with a minimum and no default.
func atLeast(name string, min int64, desc string) Param {
	return integer(name, i64(min), nil, nil, desc)
}

func boolean(name string, def *bool, desc string) Param {
	p := Param{Name: name, In: InQuery, Type: TypeBoolean, Description: desc}
	if def != nil {
		p.Default = *def
	}
	return p
}

var (
	yes = func() *bool { b := true; return &b }()
	no  = func() *bool { b := false; return &b }()
)

func strs(name, desc string) Param {
	return Param{Name: name, In: InQuery, Type: TypeArray, Items: TypeString, Description: desc}
}

func ints(name, desc string) Param {
	return Param{Name: name, In: InQuery, Type: TypeArray, Items: TypeInteger, Description: desc}
}

func enums(name, desc string, values ...string) Param {
	return Param{Name: name, In: InQuery, Type: TypeArray, Items: TypeString, Enum: values, Description: desc}
}

// countryPattern is an ISO 3166-1 alpha-2 code.
const countryPattern = "^[A-Za-z]{2}$"

func countries(name, desc string) Param {
	return Param{Name: name, In: InQuery, Type: TypeArray, Items: TypeString, Pattern: countryPattern, Description: desc}
}

func date(name, desc string) Param {
	return Param{Name: name, In: InQuery, Type: TypeString, Format: "date", Description: desc}
}

func dateTime(name, desc string) Param {
	return Param{Name: name, In: InQuery, Type: TypeString, Format: "date-time", Description: desc}
}

func uuidParam(name, desc string) Param {
	return Param{Name: name, In: InQuery, Type: TypeString, Format: "uuid", Description: desc}
}

func month(name, desc string) Param {
	return Param{Name: name, In: InQuery, Type: TypeString, Format: "month", Pattern: `^[0-9]{4}-(0[1-9]|1[0-2])$`, Description: desc}
}

// inOut is {include: [country], exclude: [country]}.
func inOut(name, desc string) Param {
	return Param{Name: name, In: InQuery, Type: TypeObject, Description: desc, Properties: []Param{
		countries("include", "Countries to include (ISO 3166-1 alpha-2)."),
		countries("exclude", "Countries to exclude (ISO 3166-1 alpha-2)."),
	}}
}

func deprecated(p Param, aliasOf string) Param {
	p.Deprecated = true
	p.AliasOf = aliasOf
	return p
}

func ignored(p Param) Param {
	p.Deprecated = true
	p.Ignored = true
	return p
}

func nullable(p Param) Param {
	p.Nullable = true
	return p
}

func withMaxItems(p Param, n int) Param {
	p.MaxItems = n
	return p
}

func limitParam(def, max int64) Param {
	return integer("limit", i64(1), i64(max), i64(def), "Rows per page. Metered operations reserve this many credits before the call.")
}

func pageParam() Param {
	return integer("page", i64(1), nil, i64(1), "1-based page number. A page past the end is empty and costs nothing.")
}

func offsetParam() Param {
	return integer("offset", i64(0), nil, i64(0), "Rows to skip. An offset past the end is empty and costs nothing.")
}

func order(def string) Param {
	return enum("order", def, "Sort direction.", "asc", "desc")
}

// paged returns page and limit.
func paged(def, max int64) []Param { return []Param{pageParam(), limitParam(def, max)} }

// offsetPaged returns offset and limit.
func offsetPaged(def, max int64) []Param { return []Param{offsetParam(), limitParam(def, max)} }

// body moves parameters into the JSON body (recursively for objects).
func body(ps ...Param) []Param {
	out := make([]Param, 0, len(ps))
	for _, p := range ps {
		p.In = InBody
		p.Properties = body(p.Properties...)
		out = append(out, p)
	}
	return out
}

// concat joins parameter lists.
func concat(lists ...[]Param) []Param {
	return concatSized(lists)
}

// concatSized joins lists into one slice of the right size (nil when all
// are empty): appending to a nil slice would grow it by doubling, which
// was two thirds of what building the table allocated.
func concatSized[T any](lists [][]T) []T {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	if n == 0 {
		return nil
	}
	out := make([]T, 0, n)
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// Cost constructors.

func free() Cost { return Cost{Model: CostFree} }

// perRow: 1 credit per row, bounded by the limit parameter (max 100).
func perRow(unit string, max int64) Cost {
	return Cost{Model: CostPerRow, Unit: unit, Max: max, LimitParam: "limit"}
}

// perRowFixed: 1 credit per row of an answer whose size the API fixes
// (no limit parameter); max is the most rows it can hold.
func perRowFixed(unit string, max int64) Cost {
	return Cost{Model: CostPerRow, Unit: unit, Max: max}
}

func perItem(unit string) Cost { return Cost{Model: CostPerItem, Unit: unit, Max: 1} }

func perSeries(max int64, limitParam string) Cost {
	return Cost{Model: CostPerSeries, Unit: "series", Max: max, LimitParam: limitParam}
}

func fixed(n int64, unit string) Cost { return Cost{Model: CostFixed, Unit: unit, Max: n} }

// Response constructors.

func list(schema string) Response { return Response{Shape: ShapeList, Schema: schema} }

func listMeta(schema, meta string) Response {
	return Response{Shape: ShapeList, Schema: schema, Meta: meta}
}

func item(schema string) Response { return Response{Shape: ShapeItem, Schema: schema} }

func series(schema string) Response {
	return Response{Shape: ShapeSeries, Schema: schema, Extra: []string{"dateRange"}}
}

func root(schema string) Response { return Response{Shape: ShapeRoot, Schema: schema} }

func upserted(schema string) Response {
	return Response{Status: 201, Shape: ShapeItem, Schema: schema, Extra: []string{"created"}}
}

func created(schema string) Response { return Response{Status: 201, Shape: ShapeItem, Schema: schema} }

// Constraint constructors.

func exactlyOne(names ...string) Constraint { return Constraint{Kind: ExactlyOne, Params: names} }
func atMostOne(names ...string) Constraint  { return Constraint{Kind: AtMostOne, Params: names} }
func ordered(lo, hi string) Constraint      { return Constraint{Kind: Ordered, Params: []string{lo, hi}} }
func requiredWhen(name, ifParam, equals string) Constraint {
	return Constraint{Kind: RequiredWhen, Params: []string{name}, If: ifParam, Equals: equals}
}

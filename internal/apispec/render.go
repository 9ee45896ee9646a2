package apispec

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Title and Version are the document's info.
const (
	Title   = "TrendTrack Public API"
	Version = "v1"
)

// render builds the OpenAPI 3.0.3 document from the table.
func render() []byte {
	g := &schemaGen{comps: map[string]any{}}
	for _, name := range []string{"Error", "PagePagination", "OffsetPagination", "DateRange"} {
		g.ref(responseTypes[name])
	}
	paths := map[string]map[string]any{}
	var tags []string
	for _, o := range table() {
		if !slices.Contains(tags, o.Tag) {
			tags = append(tags, o.Tag)
		}
		item := paths[o.Path]
		if item == nil {
			item = map[string]any{}
			paths[o.Path] = item
		}
		item[strings.ToLower(o.Method)] = operation(g, o)
	}
	tagList := make([]any, len(tags))
	for i, t := range tags {
		tagList[i] = map[string]any{"name": t}
	}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":   Title,
			"version": Version,
			"description": "The TrendTrack Public API as tollgate's sandbox serves it, generated from tollgate's operation table. " +
				`Every request except GET /v1, /v1/health, /v1/openapi.json and /v1/docs needs "Authorization: Bearer tt_live_...". ` +
				"Credits: 1 credit per returned row or item on metered operations (each operation states its model and its most per call), " +
				"reserved before the call (the worst case) and settled to what was returned; recurring credits are spent before top-up credits. " +
				"Answers reflect the latest ready snapshot (GET /v1/system/freshness). Branch on error.code, never on the message.",
		},
		"servers":  []any{map[string]any{"url": "https://api.trendtrack.io"}},
		"security": []any{map[string]any{"publicApiBearer": []any{}}},
		"tags":     tagList,
		"paths":    paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"publicApiBearer": map[string]any{
				"type": "http", "scheme": "bearer",
				"description": "A Trendtrack Public API key: Authorization: Bearer tt_live_...",
			}},
			"schemas":   g.comps,
			"responses": errorResponses(),
			"headers":   headers(),
		},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic("apispec: rendering the OpenAPI document: " + err.Error())
	}
	return append(b, '\n')
}

func operation(g *schemaGen, o Operation) map[string]any {
	op := map[string]any{
		"operationId": o.ID,
		"tags":        []any{o.Tag},
		"summary":     o.Summary,
		"description": describe(o),
		"x-cost": map[string]any{
			"model": string(o.Cost.Model), "unit": o.Cost.Unit, "max": o.Cost.Max, "limitParam": o.Cost.LimitParam,
		},
	}
	if o.Paging != PagingNone {
		op["x-paging"] = string(o.Paging)
	}
	if o.Write.Kind != WriteNone {
		w := map[string]any{"kind": string(o.Write.Kind), "confirm": o.Write.Confirm, "quota": o.Write.Quota}
		if len(o.Write.Invalidates) > 0 {
			w["invalidates"] = o.Write.Invalidates
		}
		op["x-write"] = w
	}
	if o.Deprecated {
		op["deprecated"] = true
	}
	if o.Access == AccessPublic {
		op["security"] = []any{}
	}
	var params []any
	for _, p := range o.Params {
		params = append(params, parameter(p))
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if o.Body != nil {
		s := objectSchema(o.Body, o.Write.Confirm)
		s["additionalProperties"] = true
		ex := map[string]any{}
		for _, p := range o.Body {
			if p.Example != nil {
				ex[p.Name] = p.Example
			}
		}
		s["example"] = ex
		op["requestBody"] = map[string]any{
			"required": false,
			"content":  map[string]any{"application/json": map[string]any{"schema": s}},
		}
	}
	op["responses"] = responses(g, o)
	return op
}

func parameter(p Param) map[string]any {
	out := map[string]any{
		"name":     p.Name,
		"in":       string(p.In),
		"required": p.Required || p.In == InPath,
		"schema":   paramSchema(p, false),
	}
	if p.Description != "" {
		out["description"] = p.Description
	}
	if p.Deprecated {
		out["deprecated"] = true
	}
	if p.Example != nil {
		out["example"] = p.Example
	}
	if p.Type == TypeArray {
		out["style"] = "form"
		out["explode"] = true
	}
	return out
}

// paramSchema is the JSON schema of one parameter.
func paramSchema(p Param, confirm bool) map[string]any {
	s := map[string]any{"type": string(p.Type)}
	switch p.Type {
	case TypeString:
		addStringRules(s, p.Format, p.Pattern, p.Enum)
		if p.MaxLength > 0 {
			s["maxLength"] = p.MaxLength
		}
		if p.In == InPath || (len(p.Enum) == 0 && p.Format == "") {
			s["minLength"] = 1
		}
	case TypeInteger, TypeNumber:
		if p.Type == TypeInteger {
			s["format"] = "int64"
		}
		if p.Min != nil {
			s["minimum"] = *p.Min
		}
		if p.Max != nil {
			s["maximum"] = *p.Max
		}
	case TypeBoolean:
		if confirm && p.Name == "confirm" {
			s["enum"] = []any{true}
		}
	case TypeArray:
		items := map[string]any{"type": string(p.Items)}
		if p.Items == TypeString {
			addStringRules(items, p.Format, p.Pattern, p.Enum)
		}
		if p.Items == TypeInteger {
			items["format"] = "int64"
		}
		s["items"] = items
		if p.MaxItems > 0 {
			s["maxItems"] = p.MaxItems
		}
	case TypeObject:
		return objectSchema(p.Properties, false)
	}
	if p.Default != nil {
		s["default"] = p.Default
	}
	if p.Nullable {
		s["nullable"] = true
	}
	if p.Description != "" && p.In == InBody {
		s["description"] = p.Description
	}
	if p.Deprecated && p.In == InBody {
		s["deprecated"] = true
	}
	return s
}

func addStringRules(s map[string]any, format, pattern string, enum []string) {
	switch format {
	case "date", "date-time", "uuid":
		s["format"] = format
	}
	if pattern != "" {
		s["pattern"] = pattern
	}
	if len(enum) > 0 {
		vals := make([]any, len(enum))
		for i, v := range enum {
			vals[i] = v
		}
		s["enum"] = vals
	}
}

// objectSchema is the schema of a body or an object parameter.
func objectSchema(ps []Param, confirm bool) map[string]any {
	props := map[string]any{}
	var req []string
	for _, p := range ps {
		props[p.Name] = paramSchema(p, confirm)
		if p.Required {
			req = append(req, p.Name)
		}
	}
	s := map[string]any{"type": "object", "properties": props}
	if len(req) > 0 {
		s["required"] = req
	}
	return s
}

// describe is the operation's description: what it does, then its cost,
// paging, write semantics, access and constraints.
func describe(o Operation) string {
	var b strings.Builder
	b.WriteString(o.Description)
	b.WriteString("\n\n")
	b.WriteString(CostLine(o))
	switch o.Paging {
	case PagingPage:
		b.WriteString(" Paging: page (from 1) and limit; pagination {page, limit, total, totalPages}.")
	case PagingOffset:
		b.WriteString(" Paging: offset (from 0) and limit; pagination {limit, offset, total}.")
	}
	switch o.Write.Kind {
	case WriteUpsert:
		b.WriteString(" Idempotent: 201 with created:true when it creates; 200 with created:false when it already exists, which changes nothing and costs nothing.")
	case WriteCreate:
		b.WriteString(" Not idempotent: every call creates another one.")
	case WriteUpdate:
		b.WriteString(" Repeating it with the same body leaves the same state.")
	}
	if o.Write.Confirm {
		b.WriteString(" Destructive: the body must carry confirm: true; without it the answer is 400 validation_error and nothing changes.")
	}
	if o.Write.Quota {
		b.WriteString(" A real change consumes one brandtracker create/delete quota unit; when the quota is exhausted the answer is 403 forbidden and nothing changes.")
	}
	switch o.Access {
	case AccessWriter:
		b.WriteString(" Needs a full_access key; delegated_user keys get 403 forbidden.")
	case AccessScoped:
		b.WriteString(" scope=personal needs a delegated_user key (full_access keys get 403 forbidden)")
		if o.Write.Kind != WriteNone {
			b.WriteString("; with scope=workspace it needs a full_access key")
		}
		b.WriteString(".")
	}
	for _, c := range o.Constraints {
		switch c.Kind {
		case ExactlyOne:
			fmt.Fprintf(&b, " Exactly one of %s.", strings.Join(c.Params, ", "))
		case AtMostOne:
			fmt.Fprintf(&b, " At most one of %s: sending more is a validation error.", strings.Join(c.Params, ", "))
		case RequiredWhen:
			fmt.Fprintf(&b, " %s is required when %s=%s.", c.Params[0], c.If, c.Equals)
		}
	}
	return b.String()
}

// CostLine says in one sentence or two how the operation is metered and
// the most one call can cost.
func CostLine(o Operation) string {
	c := o.Cost
	unit := c.Unit
	switch c.Model {
	case CostFree:
		if o.ID == "getUsage" {
			return "Free: costs no credits; sends X-Usage-Cost: 0, X-Credits-Used: 0 and X-Credits-Remaining."
		}
		return "Free: costs no credits and sends no metering headers."
	case CostPerRow:
		if c.LimitParam != "" {
			def, _, _ := o.Limit()
			return fmt.Sprintf("Metered: 1 credit per returned %s, at most %d per call. Reserves %s credits (default %d) before the call, answers 402 insufficient_credits when the available balance cannot cover that, and settles to the rows returned (an empty page costs 0).", unit, c.Max, c.LimitParam, def)
		}
		return fmt.Sprintf("Metered: 1 credit per returned %s. The answer holds at most %d rows, so a call costs at most %d credits; it reserves %d and settles to the rows returned.", unit, c.Max, c.Max, c.Max)
	case CostPerItem:
		return fmt.Sprintf("Metered: 1 credit for the %s returned, 0 when it is not found. Reserves 1 credit.", unit)
	case CostPerSeries:
		if c.LimitParam != "" {
			def, _, _ := o.Limit()
			return fmt.Sprintf("Metered: 1 credit per returned series, at most %d per call. Reserves %s credits (default %d) and settles to the series returned.", c.Max, c.LimitParam, def)
		}
		return fmt.Sprintf("Metered: 1 credit per returned series, at most %d per call; reserves %d and settles to the series returned.", c.Max, c.Max)
	case CostFixed:
		return fmt.Sprintf("Metered: %d credit%s per successful call (one %s), whatever it returns; 0 on an error. Reserves %d.", c.Max, plural(c.Max), unit, c.Max)
	}
	return ""
}

func plural(n int64) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func ref(kind, name string) map[string]any {
	return map[string]any{"$ref": "#/components/" + kind + "/" + name}
}

// responses lists the operation's success and error responses.
func responses(g *schemaGen, o Operation) map[string]any {
	hs := map[string]any{"X-Request-Id": ref("headers", "X-Request-Id")}
	if o.Access != AccessPublic {
		for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "RateLimit", "RateLimit-Policy"} {
			hs[h] = ref("headers", h)
		}
	}
	if o.Cost.Model != CostFree {
		for _, h := range []string{"X-Usage-Cost", "X-Credits-Used", "X-Credits-Remaining", "X-Credits-Source"} {
			hs[h] = ref("headers", h)
		}
	}
	if o.ID == "getUsage" {
		for _, h := range []string{"X-Usage-Cost", "X-Credits-Used", "X-Credits-Remaining"} {
			hs[h] = ref("headers", h)
		}
	}
	content := successContent(g, o)
	out := map[string]any{}
	status := o.Response.Status
	if status == 0 {
		status = http.StatusOK
	}
	out[strconv.Itoa(status)] = map[string]any{"description": "OK", "headers": hs, "content": content}
	if o.Write.Kind == WriteUpsert {
		out["200"] = map[string]any{"description": "Already exists: nothing changed, nothing charged", "headers": hs, "content": content}
	}
	codes := []string{"404", "500"}
	if o.Access != AccessPublic {
		codes = append(codes, "400", "401", "402", "403", "429")
	}
	names := map[string]string{"400": "BadRequest", "401": "Unauthorized", "402": "PaymentRequired", "403": "Forbidden",
		"404": "NotFound", "429": "TooManyRequests", "500": "InternalError"}
	for _, c := range codes {
		out[c] = ref("responses", names[c])
	}
	return out
}

func successContent(g *schemaGen, o Operation) map[string]any {
	r := o.Response
	if r.Shape == ShapeRaw {
		s := map[string]any{"type": "object"}
		if r.ContentType == "text/html" {
			s = map[string]any{"type": "string"}
		}
		return map[string]any{r.ContentType: map[string]any{"schema": s}}
	}
	if r.Shape == ShapeRoot {
		return map[string]any{"application/json": map[string]any{"schema": g.ref(responseTypes[r.Schema])}}
	}
	row := g.ref(mustType(r.Schema))
	props := map[string]any{"requestId": map[string]any{"type": "string", "description": "Equal to the X-Request-Id header."}}
	req := []string{"data", "requestId"}
	switch r.Shape {
	case ShapeItem:
		props["data"] = row
	case ShapeList, ShapeSeries:
		props["data"] = map[string]any{"type": "array", "items": row}
	}
	switch o.Paging {
	case PagingPage:
		props["pagination"] = ref("schemas", "PagePagination")
		req = append(req, "pagination")
	case PagingOffset:
		props["pagination"] = ref("schemas", "OffsetPagination")
		req = append(req, "pagination")
	}
	if r.Meta != "" {
		props["meta"] = g.ref(mustType(r.Meta))
		req = append(req, "meta")
	}
	for _, x := range r.Extra {
		switch x {
		case "created":
			props["created"] = map[string]any{"type": "boolean", "description": "true when this call created it, false when it already existed."}
		case "dateRange":
			props["dateRange"] = ref("schemas", "DateRange")
		}
		req = append(req, x)
	}
	return map[string]any{"application/json": map[string]any{"schema": map[string]any{
		"type": "object", "properties": props, "required": req,
	}}}
}

func mustType(name string) reflect.Type {
	t, ok := responseTypes[name]
	if !ok {
		panic("apispec: the table names schema " + name + ", which has no Go type in responseTypes")
	}
	return t
}

func errorResponses() map[string]any {
	resp := func(desc string, extra ...string) map[string]any {
		hs := map[string]any{"X-Request-Id": ref("headers", "X-Request-Id")}
		for _, h := range extra {
			hs[h] = ref("headers", h)
		}
		return map[string]any{"description": desc, "headers": hs,
			"content": map[string]any{"application/json": map[string]any{"schema": ref("schemas", "Error")}}}
	}
	return map[string]any{
		"BadRequest":      resp("validation_error: fix the request using error.details.validationErrors. Not retryable."),
		"Unauthorized":    resp("missing_api_key, invalid_api_key, credential_not_found, credential_revoked or credential_expired. Not retryable."),
		"PaymentRequired": resp("insufficient_credits: the available balance does not cover the reservation. Not retryable; check GET /v1/usage."),
		"Forbidden":       resp("workspace_public_api_disabled, workspace_public_api_suspended or forbidden. Not retryable."),
		"NotFound":        resp("not_found: unknown route or resource (ids of other workspaces too)."),
		"TooManyRequests": resp("rate_limited: wait Retry-After seconds, then retry.", "Retry-After"),
		"InternalError":   resp("internal_error: retry with backoff; quote requestId."),
	}
}

func headers() map[string]any {
	h := func(desc, typ string) map[string]any {
		return map[string]any{"description": desc, "schema": map[string]any{"type": typ}}
	}
	return map[string]any{
		"X-Request-Id":          h("Per-request id, equal to the body's requestId.", "string"),
		"X-Usage-Cost":          h("Credits this request consumed.", "integer"),
		"X-Credits-Used":        h("Same as X-Usage-Cost.", "integer"),
		"X-Credits-Remaining":   h("Recurring plus top-up credits left after settlement.", "integer"),
		"X-Credits-Source":      h("Bucket charged: recurring, topup, or hybrid when split.", "string"),
		"X-RateLimit-Limit":     h("Bucket size (burst) of this key's rate limit.", "integer"),
		"X-RateLimit-Remaining": h("Whole requests left in the bucket.", "integer"),
		"X-RateLimit-Reset":     h("Whole seconds until the bucket is full again.", "integer"),
		"RateLimit":             h(`IETF form: "default";r=<requests left>;t=<seconds until the bucket is full>.`, "string"),
		"RateLimit-Policy":      h(`IETF form: "default";q=<bucket size>;w=<seconds to refill it from empty>.`, "string"),
		"Retry-After":           h("Whole seconds to wait before retrying.", "integer"),
	}
}

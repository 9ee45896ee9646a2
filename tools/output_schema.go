package tools

import (
	"encoding/json"
	"maps"
	"slices"
	"sort"

	"github.com/tollgate-mcp/tollgate/internal/openapi"
)

// Output schemas: the JSON Schema of what a tool's call returns (MCP's
// outputSchema). An API tool's success is tollgate's envelope around the
// operation's data, whose schema comes from the OpenAPI document's 2xx
// response; a local tool's success is the object its LocalSpec.Output
// describes. Either way a failure is the advice object {error, budget},
// and the schema admits both shapes (root properties for every field,
// anyOf requiring data or error): MCP says that structured results
// conform to the outputSchema without saying whether error results are
// exempt, and some hosts validate those too, so tollgate's conform
// either way and keep the advice in structuredContent.
//
// Data schemas are as loose as the document allows: types, properties,
// items, enums, required and nullable carry over, objects stay open to
// fields the API may add, and the bounds meant for inputs (minimum,
// pattern, ...) do not.

// maxOutputSchemaDepth bounds the conversion of a recursive OpenAPI
// response schema (deeper than input schemas: answers nest more).
const maxOutputSchemaDepth = 16

// apiOutputSchema returns the output schema of an API operation's tool.
func apiOutputSchema(op *openapi.Operation) json.RawMessage {
	data, more := map[string]any{}, map[string]any{}
	if s := successResponseSchema(op); s != nil {
		if d, ok := s.Properties["data"]; ok && d != nil {
			data = outputJSONSchema(d, 0)
			for name, p := range s.Properties {
				switch name {
				case "data", "requestId", "pagination":
				default:
					more[name] = outputJSONSchema(p, 0)
				}
			}
		} else {
			// Endpoints answered at the root (GET /v1/usage): the whole
			// body is the data.
			data = outputJSONSchema(s, 0)
		}
	}
	return mustJSON(withFailure(apiSuccessSchema(data, more)))
}

// successResponseSchema is the JSON body schema of the operation's first
// 2xx response, or nil.
func successResponseSchema(op *openapi.Operation) *openapi.Schema {
	for _, code := range slices.Sorted(maps.Keys(op.Responses)) {
		if len(code) != 3 || code[0] != '2' {
			continue
		}
		mt := op.Responses[code].Content.JSON()
		if mt != nil && mt.Schema != nil {
			return mt.Schema
		}
	}
	return nil
}

// APIResultSchema returns the schema of a successful API call whose data
// is described by data (nil: any JSON): tollgate's envelope with
// pagination, nextPage, metering, notes, truncation and the budget. Faces
// use it for local tools that run an API operation (the MCP server's
// call_operation), as a LocalSpec.Output.
func APIResultSchema(data map[string]any) map[string]any {
	if data == nil {
		data = map[string]any{}
	}
	return apiSuccessSchema(data, nil)
}

func apiSuccessSchema(data, more map[string]any) map[string]any {
	moreSchema := map[string]any{"type": "object",
		"description": "The envelope's other top-level fields, e.g. created on create_brandtracker, meta on lookup."}
	if len(more) > 0 {
		moreSchema["properties"] = more
	}
	return map[string]any{
		"type":     "object",
		"required": []string{"data"},
		"properties": map[string]any{
			"data": data,
			"more": moreSchema,
			"pagination": map[string]any{"type": "object",
				"required": []string{"limit", "total", "returned", "hasMore"},
				"properties": map[string]any{
					"page": integer(), "offset": integer(), "limit": integer(), "total": integer(),
					"totalPages": integer(), "returned": integer(), "hasMore": boolean(),
				}},
			"nextPage": map[string]any{"type": "object",
				"description": "The complete arguments of the next page: call the same tool with them."},
			"metering": map[string]any{"type": "object",
				"description": "What this call cost, from the API's metering headers; null when the API did not say.",
				"properties": map[string]any{
					"cost": nullable(integer()), "creditsRemaining": nullable(integer()), "source": str(),
					"cached":   map[string]any{"type": "boolean", "description": "Answered from tollgate's cache: cost 0 now."},
					"cachedAt": dateTime(),
					"shared":   map[string]any{"type": "boolean", "description": "Answered by an identical call made at the same time, charged to it."},
				}},
			"requestId": str(),
			"notes": map[string]any{"type": "array", "items": str(),
				"description": "What tollgate changed or wants you to know: a limit fitted to the budget, the 80% warning."},
			"truncated": map[string]any{"type": "object", "required": []string{"note"},
				"properties": map[string]any{
					"rowsReturned": integer(), "rowsShown": integer(), "note": str(),
					"showRest": map[string]any{"type": "object",
						"description": "Arguments that fetch the rows not shown (they cost credits again)."},
				}},
			"budget": BudgetStatusSchema(),
		},
	}
}

// withFailure turns the schema of a success into the tool's output schema:
// the success's properties plus error (the advice) and budget at the
// root, and anyOf the success's required fields or error.
func withFailure(success map[string]any) map[string]any {
	props := map[string]any{}
	if p, ok := success["properties"].(map[string]any); ok {
		for k, v := range p {
			props[k] = v
		}
	}
	props["error"] = AdviceSchema()
	if _, ok := props["budget"]; !ok {
		props["budget"] = BudgetStatusSchema()
	}
	out := map[string]any{"type": "object", "properties": props}
	if req, ok := success["required"].([]string); ok && len(req) > 0 {
		out["anyOf"] = []any{
			map[string]any{"required": req},
			map[string]any{"required": []string{"error"}},
		}
	}
	return out
}

// AdviceSchema is the schema of the error object of a failure (DESIGN.md's
// advice).
func AdviceSchema() map[string]any {
	return map[string]any{
		"type":     "object",
		"required": []string{"code", "message", "retryable", "action", "source"},
		"properties": map[string]any{
			"code":              str(),
			"httpStatus":        integer(),
			"message":           str(),
			"requestId":         str(),
			"retryable":         boolean(),
			"retryAfterSeconds": integer(),
			"action":            map[string]any{"type": "string", "description": "What to do next."},
			"source": map[string]any{"type": "string", "enum": []any{"api", "budget", "tool"},
				"description": "api: the API refused; budget: tollgate stopped the call before the API would have; tool: bad arguments or a tollgate failure."},
			"validationErrors": map[string]any{"type": "array", "items": map[string]any{"type": "object",
				"required": []string{"field"},
				"properties": map[string]any{
					"field": str(), "location": str(), "expected": map[string]any{"type": "array", "items": str()},
				}}},
		},
	}
}

// BudgetStatusSchema is the schema of the budget object (budget.Status).
func BudgetStatusSchema() map[string]any {
	return map[string]any{
		"type":        "object",
		"description": "The credit budget after the call: what this run may still spend and what the workspace has.",
		"required":    []string{"creditsRemaining", "runSpent", "runCap", "reserve", "inFlight", "available", "stale", "exhausted"},
		"properties": map[string]any{
			"creditsRemaining": nullable(integer()),
			"runSpent":         integer(),
			"runCap":           nullable(integer()),
			"reserve":          integer(),
			"inFlight":         integer(),
			"available":        nullable(integer()),
			"refillAt":         dateTime(),
			"balanceAsOf":      dateTime(),
			"balanceSource":    str(),
			"stale":            boolean(),
			"exhausted":        boolean(),
			"warning":          str(),
		},
	}
}

// outputJSONSchema converts an OpenAPI 3.0 schema into JSON Schema for
// output validation (see the comment at the top of this file).
func outputJSONSchema(s *openapi.Schema, depth int) map[string]any {
	out := map[string]any{}
	if depth > maxOutputSchemaDepth {
		return out
	}
	if s.Description != "" {
		out["description"] = s.Description
	}
	typ := s.Type.Single()
	if typ != "" {
		if s.Nullable {
			out["type"] = []any{typ, "null"}
		} else {
			out["type"] = typ
		}
	}
	if len(s.Enum) > 0 {
		enum := slices.Clone(s.Enum)
		if s.Nullable && !slices.Contains(enum, nil) {
			enum = append(enum, nil)
		}
		out["enum"] = enum
	}
	if s.Format == "date-time" || s.Format == "date" {
		out["format"] = s.Format
	}
	if s.Items != nil {
		out["items"] = outputJSONSchema(s.Items, depth+1)
	}
	if len(s.Properties) > 0 {
		props := map[string]any{}
		for n, p := range s.Properties {
			props[n] = outputJSONSchema(p, depth+1)
		}
		out["properties"] = props
		// A writeOnly property is only sent, never answered, even when
		// required.
		req := slices.DeleteFunc(slices.Clone(s.Required), func(n string) bool {
			return s.Properties[n] != nil && s.Properties[n].WriteOnly
		})
		if len(req) > 0 {
			sort.Strings(req)
			out["required"] = req
		}
	}
	if ap := s.AdditionalProperties.Schema; ap != nil {
		out["additionalProperties"] = outputJSONSchema(ap, depth+1)
	}
	sub := func(list []*openapi.Schema) []any {
		subs := make([]any, 0, len(list))
		for _, r := range list {
			subs = append(subs, outputJSONSchema(r, depth+1))
		}
		return subs
	}
	var allOf []any
	if len(s.AllOf) > 0 {
		allOf = sub(s.AllOf)
	}
	if len(s.AnyOf) > 0 {
		out["anyOf"] = sub(s.AnyOf)
	}
	if len(s.OneOf) > 0 {
		// A row may match several branches of a loosely written oneOf;
		// anyOf says what is meant without rejecting it.
		if _, taken := out["anyOf"]; taken {
			allOf = append(allOf, map[string]any{"anyOf": sub(s.OneOf)})
		} else {
			out["anyOf"] = sub(s.OneOf)
		}
	}
	if len(allOf) > 0 {
		out["allOf"] = allOf
	}
	if s.Nullable && typ == "" {
		// nullable beside allOf or a $ref (no type of its own): null is
		// allowed besides what the schema describes.
		return map[string]any{"anyOf": []any{map[string]any{"type": "null"}, out}}
	}
	return out
}

func str() map[string]any      { return map[string]any{"type": "string"} }
func integer() map[string]any  { return map[string]any{"type": "integer"} }
func boolean() map[string]any  { return map[string]any{"type": "boolean"} }
func dateTime() map[string]any { return map[string]any{"type": "string", "format": "date-time"} }

func nullable(s map[string]any) map[string]any {
	s["type"] = []any{s["type"], "null"}
	return s
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("tools: a schema does not encode: " + err.Error())
	}
	return b
}

package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/tollgate-mcp/tollgate/tools"
)

// dynamicTools are the few tools of dynamic mode: local tools that
// search, describe and call the catalogue, plus get_budget.
func dynamicTools(cat *tools.Catalogue) []*tools.Tool {
	toolsets := cat.Toolsets()
	str := map[string]any{"type": "string"}
	specs := []tools.LocalSpec{
		{Name: ToolSearchOperations, Title: "Search operations", ReadOnly: true,
			Description: "Find TrendTrack API operations by keywords (e.g. 'tiktok', 'shop traffic', 'brand ads'). Returns names, what each does and what it costs. Free.",
			Schema: map[string]any{"type": "object", "additionalProperties": false, "properties": map[string]any{
				"query":   map[string]any{"type": "string", "description": "Keywords; empty lists every operation."},
				"toolset": map[string]any{"type": "string", "enum": toAny(toolsets), "description": "Only this toolset."},
			}},
			Output: map[string]any{"type": "object", "required": []string{"operations"}, "properties": map[string]any{
				"operations": map[string]any{"type": "array", "items": map[string]any{"type": "object",
					"required": []string{"name", "title", "toolset", "cost", "about"},
					"properties": map[string]any{
						"name": str, "title": str, "toolset": str, "about": str,
						"cost": map[string]any{"type": "string", "enum": []any{string(tools.CostFree), string(tools.CostPerItem), string(tools.CostPerRow)}},
					}}},
				"next": str,
			}},
			Handler: searchOperations},
		{Name: ToolDescribeOperation, Title: "Describe an operation", ReadOnly: true,
			Description: "The full description and input schema of one operation found with search_operations. Free.",
			Schema: map[string]any{"type": "object", "additionalProperties": false, "required": []string{"name"}, "properties": map[string]any{
				"name": map[string]any{"type": "string", "description": "Operation name, e.g. search_ads."},
			}},
			Output: map[string]any{"type": "object", "required": []string{"name", "description", "cost", "inputSchema"}, "properties": map[string]any{
				"name": str, "title": str, "toolset": str, "description": str, "cost": str,
				"inputSchema":  map[string]any{"type": "object", "description": "The JSON Schema of the operation's arguments."},
				"outputSchema": map[string]any{"type": "object", "description": "The JSON Schema of what call_operation returns for it."},
				"readOnly":     map[string]any{"type": "boolean"}, "destructive": map[string]any{"type": "boolean"},
			}},
			Handler: describeOperation},
		{Name: ToolCallOperation, Title: "Call an operation",
			Description: "Call one operation with its arguments (see describe_operation). Costs what the operation costs; the result or the failure advice is that of the operation.",
			Schema: map[string]any{"type": "object", "additionalProperties": false, "required": []string{"name"}, "properties": map[string]any{
				"name":      map[string]any{"type": "string", "description": "Operation name, e.g. search_ads."},
				"arguments": map[string]any{"type": "object", "description": "The operation's arguments."},
			}},
			Output:  tools.APIResultSchema(nil),
			Handler: callOperation},
	}
	out := make([]*tools.Tool, 0, len(specs)+1)
	for _, s := range specs {
		s.Toolset = toolsetDynamic
		t, err := tools.NewLocal(s)
		if err != nil {
			panic("mcpserver: " + err.Error())
		}
		out = append(out, t)
	}
	if t, ok := cat.Lookup(tools.ToolGetBudget); ok {
		out = append(out, t)
	}
	return out
}

// toolsetDynamic is the toolset of the dynamic-mode tools.
const toolsetDynamic = "dynamic"

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// unknownOperation is the error of a dynamic-mode call naming no
// operation of the catalogue.
func unknownOperation(name string) *tools.ToolError {
	return &tools.ToolError{Code: tools.CodeUnknownTool, Message: fmt.Sprintf("there is no operation named %q", name),
		Action: "Find the operation's name with search_operations first."}
}

// OperationSummary is one hit of search_operations.
type OperationSummary struct {
	Name    string         `json:"name"`
	Title   string         `json:"title"`
	Toolset string         `json:"toolset"`
	Cost    tools.CostKind `json:"cost"`
	About   string         `json:"about"`
}

func searchOperations(_ context.Context, box *tools.Toolbox, args map[string]any) *tools.Result {
	q, _ := args["query"].(string)
	ts, _ := args["toolset"].(string)
	words := strings.Fields(strings.ToLower(q))
	type hit struct {
		s     OperationSummary
		score int
	}
	var hits []hit
	for _, t := range box.Catalogue().Tools() {
		if ts != "" && t.Toolset != ts {
			continue
		}
		hay := strings.ToLower(t.Name + " " + t.Title + " " + t.Toolset + " " + t.Description)
		score := 0
		for _, w := range words {
			if strings.Contains(hay, w) {
				score++
			}
			if strings.Contains(t.Name, w) {
				score += 2
			}
		}
		if len(words) > 0 && score == 0 {
			continue
		}
		about, _, _ := strings.Cut(t.Description, "\n")
		hits = append(hits, hit{OperationSummary{Name: t.Name, Title: t.Title, Toolset: t.Toolset, Cost: t.Cost, About: about}, score})
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].score > hits[j].score })
	ops := make([]OperationSummary, len(hits))
	for i, h := range hits {
		ops[i] = h.s
	}
	return &tools.Result{Structured: map[string]any{"operations": ops,
		"next": "Call describe_operation with a name for its arguments, then call_operation."}}
}

func describeOperation(_ context.Context, box *tools.Toolbox, args map[string]any) *tools.Result {
	name, _ := args["name"].(string)
	t, ok := box.Catalogue().Lookup(name)
	if !ok {
		return box.Fail(unknownOperation(name))
	}
	return &tools.Result{Structured: map[string]any{
		"name": t.Name, "title": t.Title, "toolset": t.Toolset, "description": t.Description,
		"cost": t.Cost, "inputSchema": json.RawMessage(t.InputSchema), "outputSchema": json.RawMessage(t.OutputSchema),
		"readOnly": t.Annotations.ReadOnly, "destructive": t.Annotations.Destructive,
	}}
}

func callOperation(ctx context.Context, box *tools.Toolbox, args map[string]any) *tools.Result {
	name, _ := args["name"].(string)
	inner, _ := args["arguments"].(map[string]any)
	if _, ok := box.Catalogue().Lookup(name); !ok {
		return box.Fail(unknownOperation(name))
	}
	return box.Call(ctx, name, inner)
}

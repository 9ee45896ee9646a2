package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
)

// Names of tollgate's own tools.
const (
	ToolGetBudget    = "get_budget"
	ToolEstimateCost = "estimate_cost"
)

// ownTools are the budget toolset: answered by tollgate, free.
func ownTools() []*Tool {
	defs := []struct {
		name, title, about string
		schema             map[string]any
	}{
		{ToolGetBudget, "Budget and balance",
			"What this session may still spend and what the workspace has: the run's cap, credits spent so far, the floor kept for others, in-flight reservations, the balance the API reports (fetched now from /v1/usage), and the refill date. Call it before planning a long series of paid calls.",
			map[string]any{"type": "object", "properties": map[string]any{}, "additionalProperties": false}},
		{ToolEstimateCost, "Estimate a call's cost",
			"Before a paid call: the most it can cost, whether the budget allows it now, and the limit it would run with if only part of the page fits. Reserves and spends nothing.",
			map[string]any{"type": "object", "required": []string{"tool"}, "additionalProperties": false,
				"properties": map[string]any{
					"tool":      map[string]any{"type": "string", "description": "Name of the tool you plan to call, e.g. search_ads."},
					"arguments": map[string]any{"type": "object", "description": "The arguments you plan to pass it."},
				}}},
	}
	out := make([]*Tool, 0, len(defs))
	for _, d := range defs {
		raw, _ := json.Marshal(d.schema)
		sch, err := compileSchema(d.name, raw)
		if err != nil {
			panic("tools: schema of " + d.name + ": " + err.Error())
		}
		props := map[string]map[string]any{}
		for k, v := range d.schema["properties"].(map[string]any) {
			props[k] = v.(map[string]any)
		}
		out = append(out, &Tool{
			Name: d.name, Title: d.title, Toolset: ToolsetBudget, Cost: CostFree,
			Description: d.about + "\nCost: free.",
			Annotations: Annotations{ReadOnly: true, Idempotent: true},
			Idempotent:  true, InputSchema: raw, schema: sch, props: props,
		})
	}
	return out
}

// Estimate is the answer of estimate_cost.
type Estimate struct {
	Tool        string          `json:"tool"`
	Cost        CostKind        `json:"cost"`
	CostRule    string          `json:"costRule"`
	WorstCase   int64           `json:"worstCase"`
	Allowed     bool            `json:"allowed"`
	RunsWith    map[string]any  `json:"runsWith,omitempty"` // the arguments it would run with, when fitted
	Note        string          `json:"note,omitempty"`
	WouldHaltAs *runtime.Advice `json:"wouldHaltAs,omitempty"`
	Budget      *budget.Status  `json:"budget,omitempty"`
}

// BudgetView is the answer of get_budget.
type BudgetView struct {
	Budget *budget.Status `json:"budget,omitempty"`
	// BudgetError says why the budget could not be read (its shared
	// store is unreachable), when it could not.
	BudgetError *runtime.Advice `json:"budgetError,omitempty"`
	Usage       *runtime.Usage  `json:"usage,omitempty"`
	UsageError  *runtime.Advice `json:"usageError,omitempty"`
	Note        string          `json:"note,omitempty"`
}

func (b *Toolbox) callOwn(ctx context.Context, t *Tool, args map[string]any) *Result {
	switch t.Name {
	case ToolGetBudget:
		return &Result{Structured: b.budgetView(ctx)}
	case ToolEstimateCost:
		return b.estimate(ctx, args)
	}
	return b.fail(&ToolError{Code: CodeUnknownTool, Message: "tool " + t.Name + " has no handler", Action: "Report this to the tollgate maintainers."})
}

func (b *Toolbox) budgetView(ctx context.Context) *BudgetView {
	v := &BudgetView{}
	var err error
	if b.budget != nil {
		if b.budget.Config().Usage != nil {
			v.Usage, err = b.budget.Refresh(ctx)
			if _, ok := errors.AsType[*budget.StoreError](err); ok {
				// The budget's trouble is said below; the balance can
				// still be told.
				v.Usage, err = b.client.Usage(ctx)
			}
		} else {
			// The controller has no usage source: ask the API directly.
			v.Usage, err = b.client.Usage(ctx)
		}
		if st, serr := b.budget.Status(ctx); serr != nil {
			a := runtime.Advise(serr)
			v.BudgetError = &a
		} else {
			v.Budget = &st
		}
	} else {
		v.Usage, err = b.client.Usage(ctx)
		v.Note = "No budget controller is configured: tollgate does not cap this session's spending."
	}
	if err != nil {
		a := runtime.Advise(err)
		v.UsageError = &a
	}
	return v
}

func (b *Toolbox) estimate(ctx context.Context, args map[string]any) *Result {
	name, _ := args["tool"].(string)
	target, ok := b.cat.Lookup(name)
	if !ok || target.Operation == "" {
		return b.fail(&ToolError{Code: CodeUnknownTool,
			Message: fmt.Sprintf("estimate_cost: %q is not an API tool of this server", name),
			Action:  "Pass the name of one of the listed API tools, e.g. search_ads."})
	}
	targs, _ := args["arguments"].(map[string]any)
	if targs == nil {
		targs = map[string]any{}
	}
	if err := target.validate(targs); err != nil {
		return b.fail(err)
	}
	ask := target.Ask(targs)
	e := &Estimate{Tool: target.Name, Cost: target.Cost, CostRule: target.Cost.Describe(), WorstCase: ask.Worst(), Allowed: true}
	if b.budget != nil {
		g, err := b.budget.Preview(ctx, ask)
		if err != nil {
			a := runtime.Advise(err)
			e.Allowed = false
			e.WouldHaltAs = &a
		} else if g.Fitted {
			e.RunsWith = cloneArgs(targs)
			e.RunsWith["limit"] = g.Rows
			e.Note = fmt.Sprintf("Only %d of the %d rows fit the budget: the call would run with limit=%d.", g.Rows, ask.Rows, g.Rows)
		}
		if st, err := b.budget.Status(ctx); err == nil {
			e.Budget = &st
		}
	}
	return &Result{Structured: e}
}

package tools

import (
	"context"
	"fmt"
	"time"

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
	specs := []LocalSpec{
		{Name: ToolGetBudget, Title: "Budget and balance", Toolset: ToolsetBudget, ReadOnly: true,
			Description: "What this session may still spend and what the workspace has: the run's cap, credits spent so far, the floor kept for others, in-flight reservations, the balance (from the API's latest answer; asked anew from /v1/usage only when older than a few minutes), and the refill date. Call it before planning a long series of paid calls.\nCost: free.",
			Schema:      map[string]any{"type": "object", "properties": map[string]any{}, "additionalProperties": false},
			Output:      budgetViewSchema(),
			Handler: func(ctx context.Context, b *Toolbox, _ map[string]any) *Result {
				return &Result{Structured: b.budgetView(ctx)}
			}},
		{Name: ToolEstimateCost, Title: "Estimate a call's cost", Toolset: ToolsetBudget, ReadOnly: true,
			Description: "Before a paid call: the most it can cost, whether the budget allows it now, and the limit it would run with if only part of the page fits. Reserves and spends nothing.\nCost: free.",
			Schema: map[string]any{"type": "object", "required": []string{"tool"}, "additionalProperties": false,
				"properties": map[string]any{
					"tool":      map[string]any{"type": "string", "description": "Name of the tool you plan to call, e.g. search_ads."},
					"arguments": map[string]any{"type": "object", "description": "The arguments you plan to pass it."},
				}},
			Output:  estimateSchema(),
			Handler: func(_ context.Context, b *Toolbox, args map[string]any) *Result { return b.estimate(args) }},
	}
	out := make([]*Tool, 0, len(specs))
	for _, s := range specs {
		t, err := NewLocal(s)
		if err != nil {
			panic(err.Error())
		}
		out = append(out, t)
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
	Budget     *budget.Status  `json:"budget,omitempty"`
	Usage      *runtime.Usage  `json:"usage,omitempty"`
	UsageError *runtime.Advice `json:"usageError,omitempty"`
	Note       string          `json:"note,omitempty"`
}

// budgetRefreshTimeout bounds the GET /v1/usage get_budget makes for a
// stale balance, so a rate-limited key answers with the last known
// figure rather than waiting out the limit.
const budgetRefreshTimeout = 5 * time.Second

// BudgetSnapshot is get_budget's answer from what the controller knows,
// without calling the API (the MCP server's tollgate://budget resource).
func (b *Toolbox) BudgetSnapshot() *BudgetView {
	if b.budget == nil {
		return &BudgetView{Note: "No budget controller is configured: tollgate does not cap this session's spending."}
	}
	st := b.budget.Status()
	return &BudgetView{Budget: &st}
}

// budgetView answers get_budget: the controller's view, refreshed from GET
// /v1/usage only when the balance is unknown or stale (every paid call's
// X-Credits-Remaining keeps it fresh) or the refill date was never learnt,
// so planning calls do not spend the key's rate allowance. Without a
// controller it asks the API each time.
func (b *Toolbox) budgetView(ctx context.Context) *BudgetView {
	v := b.BudgetSnapshot()
	if st := v.Budget; st != nil && st.CreditsRemaining != nil && !st.Stale &&
		(st.RefillAt != nil || st.BalanceSource == budget.SourceUsage) {
		return v
	}
	ctx, cancel := context.WithTimeout(ctx, budgetRefreshTimeout)
	defer cancel()
	var err error
	if b.budget != nil && b.budget.Config().Usage != nil {
		v.Usage, err = b.budget.Refresh(ctx)
	} else {
		// No usage source: ask the API directly; a controller still
		// learns the balance from the response headers.
		v.Usage, err = b.client.Usage(ctx)
	}
	if b.budget != nil {
		st := b.budget.Status()
		v.Budget = &st
	}
	if err != nil {
		a := runtime.Advise(err)
		v.UsageError = &a
	}
	return v
}

func budgetViewSchema() map[string]any {
	return map[string]any{"type": "object", "properties": map[string]any{
		"budget": BudgetStatusSchema(),
		"usage": map[string]any{"type": "object",
			"description": "GET /v1/usage as the API answered it, when get_budget asked it for this answer.",
			"properties": map[string]any{"credits": map[string]any{"type": "object", "properties": map[string]any{
				"totalRemaining": integer(),
			}}}},
		"usageError": AdviceSchema(),
		"note":       str(),
	}}
}

func estimateSchema() map[string]any {
	return map[string]any{"type": "object", "required": []string{"tool", "cost", "costRule", "worstCase", "allowed"},
		"properties": map[string]any{
			"tool":        str(),
			"cost":        map[string]any{"type": "string", "enum": []any{string(CostFree), string(CostPerItem), string(CostPerRow)}},
			"costRule":    str(),
			"worstCase":   integer(),
			"allowed":     boolean(),
			"runsWith":    map[string]any{"type": "object", "description": "The arguments the call would run with, when fitted."},
			"note":        str(),
			"wouldHaltAs": AdviceSchema(),
			"budget":      BudgetStatusSchema(),
		}}
}

func (b *Toolbox) estimate(args map[string]any) *Result {
	name, _ := args["tool"].(string)
	target, ok := b.cat.Lookup(name)
	if !ok || target.Operation == "" {
		return b.Fail(&ToolError{Code: CodeUnknownTool,
			Message: fmt.Sprintf("estimate_cost: %q is not an API tool of this server", name),
			Action:  "Pass the name of one of the listed API tools, e.g. search_ads."})
	}
	targs, _ := args["arguments"].(map[string]any)
	if targs == nil {
		targs = map[string]any{}
	}
	if err := target.Validate(targs); err != nil {
		return b.Fail(err)
	}
	ask := target.Ask(targs)
	e := &Estimate{Tool: target.Name, Cost: target.Cost, CostRule: target.Cost.Describe(), WorstCase: ask.Worst(), Allowed: true}
	if b.budget != nil {
		g, err := b.budget.Preview(ask)
		if err != nil {
			a := runtime.Advise(err)
			e.Allowed = false
			e.WouldHaltAs = &a
		} else if g.Fitted {
			e.RunsWith = cloneArgs(targs)
			e.RunsWith["limit"] = g.Rows
			e.Note = fmt.Sprintf("Only %d of the %d rows fit the budget: the call would run with limit=%d.", g.Rows, ask.Rows, g.Rows)
		}
		st := b.budget.Status()
		e.Budget = &st
	}
	return &Result{Structured: e}
}

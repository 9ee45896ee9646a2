package bench

import (
	"context"
	"fmt"
	goruntime "runtime"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tollgate-mcp/tollgate/mcpserver"
)

// variant is one side of an interleaved comparison: a call to make
// Calls times per round.
type variant struct {
	name string
	call func(context.Context) error
}

// interleave runs every variant calls times per round, for rounds
// rounds, rotating which goes first, and returns each variant's CPU per
// call (process CPU time over the calls, after a GC so that one side's
// garbage is not collected on the other's time), one figure per round,
// in microseconds.
func interleave(ctx context.Context, vs []variant, rounds, calls int) ([][]float64, error) {
	out := make([][]float64, len(vs))
	for _, v := range vs { // warm-up: connections, the sandbox's data set, caches
		for range max(calls/4, 5) {
			if err := v.call(ctx); err != nil {
				return nil, fmt.Errorf("%s: %w", v.name, err)
			}
		}
	}
	for r := range rounds {
		for k := range vs {
			i := (k + r) % len(vs)
			goruntime.GC()
			t0 := cpuTime()
			for range calls {
				if err := vs[i].call(ctx); err != nil {
					return nil, fmt.Errorf("%s: %w", vs[i].name, err)
				}
			}
			out[i] = append(out[i], us(cpuTime()-t0)/float64(calls))
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func runCPU(ctx context.Context, cfg *Config, st *stack, r *Report) error {
	mc, err := client.NewInProcessClient(mcpserver.New(st.box, mcpserver.Options{}))
	if err != nil {
		return err
	}
	defer mc.Close()
	if err := mc.Start(ctx); err != nil {
		return err
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "tollgate-bench", Version: "1"}
	if _, err := mc.Initialize(ctx, init); err != nil {
		return err
	}
	req := mcp.CallToolRequest{}
	req.Params.Name = "search_ads"
	req.Params.Arguments = callArgs

	vs := []variant{
		{"raw GET", func(ctx context.Context) error { _, err := st.get(ctx); return err }},
		{"Client.Do", func(ctx context.Context) error { _, err := st.do(ctx); return err }},
		{"Toolbox.Call", st.call},
		{"MCP in-process", func(ctx context.Context) error {
			res, err := mc.CallTool(ctx, req)
			if err == nil && res.IsError {
				err = fmt.Errorf("search_ads failed over MCP")
			}
			return err
		}},
	}
	per, err := interleave(ctx, vs, cfg.Rounds, cfg.Calls)
	if err != nil {
		return err
	}
	base := median(per[0])
	rows := []struct{ what, goal string }{
		{"`runtime.Client.Do` vs a raw `net/http` GET of the same URL, CPU per call", "≤ 1.1×"},
		{"`Toolbox.Call` vs raw GET, CPU per call", "≤ 1.3×"},
		{"the same call over MCP, mcp-go in-process client, vs raw GET, CPU per call", "—"},
	}
	for i, row := range rows {
		v := per[i+1]
		med := median(v)
		r.Rows = append(r.Rows, Row{
			What:   row.what,
			Figure: ratioText(SpreadOf(Ratios(v, per[0]))),
			Detail: fmt.Sprintf("%s vs %s (+%s)", usText(med), usText(base), usText(med-base)),
			Goal:   row.goal,
		})
	}
	// The in-process MCP figure README has quoted against Client.Do.
	r.Rows = append(r.Rows, Row{
		What:   "the same call over MCP, mcp-go in-process client, vs `Client.Do`, CPU per call",
		Figure: ratioText(SpreadOf(Ratios(per[3], per[1]))),
		Detail: fmt.Sprintf("%s vs %s", usText(median(per[3])), usText(median(per[1]))),
		Goal:   "—",
	})
	return nil
}

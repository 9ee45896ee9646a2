package bench

import (
	"encoding/json"
	"fmt"
	goruntime "runtime"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
	"github.com/tollgate-mcp/tollgate/tools"
)

// runParse compares tools.Parse of the built-in OpenAPI document (what
// every start does, whichever copy it parses) with json.Unmarshal of the
// same bytes into an any, round by round: CPU and bytes allocated.
func runParse(cfg *Config, r *Report) {
	doc := apispec.Document()
	sides := []func(){
		func() {
			if _, err := tools.Parse(doc, tools.SourceBuiltIn); err != nil {
				panic("bench: the built-in document does not parse: " + err.Error())
			}
		},
		func() {
			var v any
			if err := json.Unmarshal(doc, &v); err != nil {
				panic("bench: the built-in document is not JSON: " + err.Error())
			}
		},
	}
	var cpu, alloc [2][]float64
	var ms goruntime.MemStats
	for round := -1; round < cfg.Rounds; round++ {
		for k := range 2 {
			i := (k + max(round, 0)) % 2
			goruntime.GC()
			goruntime.ReadMemStats(&ms)
			a0, t0 := ms.TotalAlloc, cpuTime()
			sides[i]()
			t := cpuTime() - t0
			goruntime.ReadMemStats(&ms)
			if round >= 0 {
				cpu[i] = append(cpu[i], float64(t)/1e6)
				alloc[i] = append(alloc[i], float64(ms.TotalAlloc-a0))
			}
		}
	}
	r.Rows = append(r.Rows, Row{
		What:   fmt.Sprintf("`tools.Parse` of the built-in OpenAPI document (%d KB) vs `json.Unmarshal` of it into an `any`, CPU", len(doc)>>10),
		Figure: ratioText(SpreadOf(Ratios(cpu[0], cpu[1]))),
		Detail: fmt.Sprintf("%.1f ms and %s allocated vs %.1f ms and %s", median(cpu[0]), mbText(median(alloc[0])), median(cpu[1]), mbText(median(alloc[1]))),
		Goal:   "— (the start row is the goal)",
	})
}

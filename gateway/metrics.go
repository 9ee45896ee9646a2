package gateway

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	// VictoriaMetrics/metrics writes the Prometheus text format, with
	// counters and le-bucket histograms safe under concurrency and the
	// Go runtime's and the process's own figures, which are not worth
	// writing again. Unlike client_golang it links no protobuf and no
	// procfs: about 0.4 MB more of the binary touched at start instead
	// of 2.7 MB.
	vm "github.com/VictoriaMetrics/metrics"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/tools"
)

// Metrics. Labels are client names, tool names, HTTP statuses and advice
// codes: never a token, a session id or the API key. Each gateway has its
// own sets, none of them the library's global one, so that gateways in
// one process count apart.
type metrics struct {
	g *Gateway
	// families are written in this order, each with its HELP and TYPE.
	families []*family

	charged   vec              // client, tool
	reserved  vec              // client, tool
	calls     vec              // client, tool, outcome
	responses vec              // status, code
	retries   vec              // reason
	waited    *vm.FloatCounter // seconds
	halts     vec              // code
	latency   histogramVec     // tool
	refused   vec              // reason
	sessions  vec              // event
	cancels   vec              // result
	ledgerErr *vm.Counter
}

// latencyBuckets are the upper bounds of tollgate_tool_call_duration_seconds.
var latencyBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}

func newMetrics(g *Gateway) *metrics {
	m := &metrics{g: g}
	fam := func(name, kind, help string) *family {
		f := &family{name: name, kind: kind, help: help, set: vm.NewSet()}
		m.families = append(m.families, f)
		return f
	}
	counters := func(name, help string, labels ...string) vec {
		return vec{fam(name, "counter", help), labels}
	}
	gauge := func(name, help string, read func(*budget.Status) *int64) {
		m.families = append(m.families, &family{name: name, kind: "gauge", help: help, read: read})
	}
	// By name, as client_golang wrote them.
	m.calls = counters("tollgate_api_calls_total",
		"Calls of API tools, by client, tool and outcome (ok or the advice code).", "client", "tool", "outcome")
	m.responses = counters("tollgate_api_responses_total",
		"Responses of the TrendTrack API, retried ones included, by HTTP status and code.", "status", "code")
	m.retries = counters("tollgate_api_retries_total",
		"Retries of API requests, by the code that caused them.", "reason")
	m.waited = fam("tollgate_api_retry_wait_seconds_total", "counter",
		"Seconds waited before retries (Retry-After and backoff).").set.NewFloatCounter("tollgate_api_retry_wait_seconds_total")
	gauge("tollgate_budget_cap_credits", "The deployment's cap (--max-credits; absent when uncapped).",
		func(st *budget.Status) *int64 { return st.RunCap })
	m.halts = counters("tollgate_budget_halts_total",
		"Calls the budget stopped before the API, by code.", "code")
	gauge("tollgate_budget_in_flight_credits", "Credits held by calls in progress.",
		func(st *budget.Status) *int64 { return &st.InFlight })
	gauge("tollgate_budget_reserve_credits", "Credits of the workspace never to spend (--reserve).",
		func(st *budget.Status) *int64 { return &st.Reserve })
	gauge("tollgate_budget_spent_credits", "Credits the deployment has spent against its cap.",
		func(st *budget.Status) *int64 { return &st.RunSpent })
	m.cancels = counters("tollgate_cancellations_total",
		"notifications/cancelled received, by result: cancelled (a call of the sender's session or token was cancelled here) or unmatched (none in flight here; other instances are told).", "result")
	gauge("tollgate_credits_balance", "The workspace's credit balance as last known (absent until known).",
		func(st *budget.Status) *int64 { return st.CreditsRemaining })
	m.charged = counters("tollgate_credits_charged_total",
		"Credits the API charged for calls, by client and tool.", "client", "tool")
	m.reserved = counters("tollgate_credits_reserved_total",
		"Credits reserved before calls (their worst case), by client and tool.", "client", "tool")
	m.refused = counters("tollgate_http_refused_total",
		"Requests refused before MCP, by reason (origin, token, session).", "reason")
	m.ledgerErr = fam("tollgate_ledger_errors_total", "counter",
		"Paid calls whose ledger line could not be written.").set.NewCounter("tollgate_ledger_errors_total")
	m.sessions = counters("tollgate_sessions_total",
		"Sessions opened and ended (2025-11-25 and earlier).", "event")
	m.latency = histogramVec{vec{fam("tollgate_tool_call_duration_seconds", "histogram",
		"Time to answer a tool call, waits and retries included, by tool."), []string{"tool"}}}
	return m
}

func (m *metrics) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		st := m.budgetStatus()
		var b, series bytes.Buffer
		for _, f := range m.families {
			series.Reset()
			switch {
			case f.set != nil:
				f.set.WritePrometheus(&series)
			case st != nil:
				if v := f.read(st); v != nil {
					vm.WriteGaugeFloat64(&series, f.name, float64(*v))
				}
			}
			f.write(&b, series.Bytes())
		}
		// Untyped: the library writes no HELP or TYPE lines for these.
		vm.WriteProcessMetrics(&b)
		vm.WriteFDMetrics(&b)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_, _ = w.Write(b.Bytes())
	})
}

// scrapeReadTimeout bounds the budget read of a scrape.
const scrapeReadTimeout = 2 * time.Second

// budgetStatus reads the deployment's budget for a scrape: nil when there
// is no budget, or when its store does not answer (then the
// tollgate_budget_* gauges are left out of this scrape, and /readyz says
// why).
func (m *metrics) budgetStatus() *budget.Status {
	ctrl := m.g.box.Budget()
	if ctrl == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), scrapeReadTimeout)
	defer cancel()
	st, err := ctrl.Status(ctx)
	if err != nil {
		return nil
	}
	return &st
}

// ObserveResponse implements runtime.Observer; responses are counted
// when the call ends (account) or is retried (ObserveWait), where their
// code is known.
func (m *metrics) ObserveResponse(context.Context, *runtime.Request, int, runtime.Metering) {}

// ObserveWait implements runtime.Observer: a retry, and the response
// that caused it.
func (m *metrics) ObserveWait(_ context.Context, _ *runtime.Request, w runtime.Wait) {
	m.retries.WithLabelValues(w.Reason).Inc()
	m.waited.Add(w.Delay.Seconds())
	if w.Status > 0 {
		m.responses.WithLabelValues(strconv.Itoa(w.Status), w.Reason).Inc()
	}
}

// account records a call's charge: the final response, the credits, a
// halt.
func (m *metrics) account(c *Client, t *tools.Tool, ch *tools.Charge) {
	m.calls.WithLabelValues(c.Name, t.Name, ch.Outcome).Inc()
	if ch.Status > 0 {
		m.responses.WithLabelValues(strconv.Itoa(ch.Status), ch.Outcome).Inc()
	}
	if ch.Source == budget.SourceBudget {
		m.halts.WithLabelValues(ch.Outcome).Inc()
	}
	if ch.Reserved > 0 {
		m.reserved.WithLabelValues(c.Name, t.Name).AddInt64(ch.Reserved)
	}
	if ch.Charged > 0 {
		m.charged.WithLabelValues(c.Name, t.Name).AddInt64(ch.Charged)
	}
}

// measure is the tool middleware that times every call.
func (g *Gateway) measure(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		start := time.Now()
		defer func() { g.metrics.latency.WithLabelValues(req.Params.Name).UpdateDuration(start) }()
		return next(ctx, req)
	}
}

// family is one metric family: its name, TYPE and HELP, and the set that
// holds its series (one per combination of label values), or for a gauge
// of the budget, how to read it.
type family struct {
	name, kind, help string
	set              *vm.Set                     // counters and histograms
	read             func(*budget.Status) *int64 // a gauge of the budget read at scrape time; nil: absent
}

// write appends the family's HELP and TYPE lines and its series to b,
// nothing when it has no series yet (a labelled family before its first
// use), as client_golang did.
func (f *family) write(b *bytes.Buffer, series []byte) {
	if len(series) == 0 {
		return
	}
	b.WriteString("# HELP ")
	b.WriteString(f.name)
	b.WriteByte(' ')
	b.WriteString(f.help)
	b.WriteString("\n# TYPE ")
	b.WriteString(f.name)
	b.WriteByte(' ')
	b.WriteString(f.kind)
	b.WriteByte('\n')
	b.Write(series)
}

// vec is a family with labels: the library names a series by its whole
// text, name{label="value",...}.
type vec struct {
	f      *family
	labels []string
}

// series is the name of the series of values (one per label, in order),
// the values escaped as the text format wants.
func (v vec) series(values []string) string {
	b := make([]byte, 0, 64)
	b = append(b, v.f.name...)
	b = append(b, '{')
	for i, l := range v.labels {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, l...)
		b = append(b, '=', '"')
		for j := 0; j < len(values[i]); j++ {
			switch c := values[i][j]; c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			default:
				b = append(b, c)
			}
		}
		b = append(b, '"')
	}
	return string(append(b, '}'))
}

// WithLabelValues is the counter of these label values, made at first use.
func (v vec) WithLabelValues(values ...string) *vm.Counter {
	return v.f.set.GetOrCreateCounter(v.series(values))
}

// histogramVec is a histogram family with labels.
type histogramVec struct{ vec }

// WithLabelValues is the histogram of these label values, made at first
// use, with latencyBuckets.
func (h histogramVec) WithLabelValues(values ...string) *vm.PrometheusHistogram {
	return h.f.set.GetOrCreatePrometheusHistogramExt(h.series(values), latencyBuckets)
}

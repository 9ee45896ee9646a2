package gateway

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	// client_golang is the Prometheus project's own instrumentation
	// library: the text exposition format, counters and histograms that
	// are safe under concurrency, and collectors read at scrape time,
	// none of which is worth writing again.
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/tools"
)

// Metrics. Labels are client names, tool names, HTTP statuses and advice
// codes: never a token, a session id or the API key.
type metrics struct {
	g   *Gateway
	reg *prometheus.Registry

	charged   *prometheus.CounterVec   // client, tool
	reserved  *prometheus.CounterVec   // client, tool
	calls     *prometheus.CounterVec   // client, tool, outcome
	responses *prometheus.CounterVec   // status, code
	retries   *prometheus.CounterVec   // reason
	waited    prometheus.Counter       // seconds
	halts     *prometheus.CounterVec   // code
	latency   *prometheus.HistogramVec // tool
	refused   *prometheus.CounterVec   // reason
	sessions  *prometheus.CounterVec   // event
	cancels   *prometheus.CounterVec   // result
	ledgerErr prometheus.Counter
}

func newMetrics(g *Gateway) *metrics {
	m := &metrics{g: g, reg: prometheus.NewRegistry()}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	m.charged = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_credits_charged_total",
		Help: "Credits the API charged for calls, by client and tool."}, []string{"client", "tool"})
	m.reserved = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_credits_reserved_total",
		Help: "Credits reserved before calls (their worst case), by client and tool."}, []string{"client", "tool"})
	m.calls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_api_calls_total",
		Help: "Calls of API tools, by client, tool and outcome (ok or the advice code)."}, []string{"client", "tool", "outcome"})
	m.responses = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_api_responses_total",
		Help: "Responses of the TrendTrack API, retried ones included, by HTTP status and code."}, []string{"status", "code"})
	m.retries = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_api_retries_total",
		Help: "Retries of API requests, by the code that caused them."}, []string{"reason"})
	m.waited = prometheus.NewCounter(prometheus.CounterOpts{Name: "tollgate_api_retry_wait_seconds_total",
		Help: "Seconds waited before retries (Retry-After and backoff)."})
	m.halts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_budget_halts_total",
		Help: "Calls the budget stopped before the API, by code."}, []string{"code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tollgate_tool_call_duration_seconds",
		Help:    "Time to answer a tool call, waits and retries included, by tool.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}}, []string{"tool"})
	m.refused = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_http_refused_total",
		Help: "Requests refused before MCP, by reason (origin, token, session)."}, []string{"reason"})
	m.sessions = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_sessions_total",
		Help: "Sessions opened and ended (2025-11-25 and earlier)."}, []string{"event"})
	m.cancels = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tollgate_cancellations_total",
		Help: "notifications/cancelled received, by result: cancelled (a call of the sender's session or token was cancelled here) or unmatched (none in flight here; other instances are told)."}, []string{"result"})
	m.ledgerErr = prometheus.NewCounter(prometheus.CounterOpts{Name: "tollgate_ledger_errors_total",
		Help: "Paid calls whose ledger line could not be written."})
	for _, c := range []prometheus.Collector{m.charged, m.reserved, m.calls, m.responses, m.retries, m.waited,
		m.halts, m.latency, m.refused, m.sessions, m.cancels, m.ledgerErr} {
		f(c)
	}
	f(budgetCollector{g})
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
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
		m.reserved.WithLabelValues(c.Name, t.Name).Add(float64(ch.Reserved))
	}
	if ch.Charged > 0 {
		m.charged.WithLabelValues(c.Name, t.Name).Add(float64(ch.Charged))
	}
}

// measure is the tool middleware that times every call.
func (g *Gateway) measure(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		start := time.Now()
		defer func() { g.metrics.latency.WithLabelValues(req.Params.Name).Observe(time.Since(start).Seconds()) }()
		return next(ctx, req)
	}
}

// budgetCollector reads the deployment's budget at scrape time.
type budgetCollector struct{ g *Gateway }

// budgetDescs are budgetCollector's metrics, described when the first
// gateway's metrics are built rather than at every start of the binary
// (prometheus.NewDesc validates and hashes each: half a millisecond of
// package initialisation for all five).
var budgetDescs = sync.OnceValue(func() (d struct{ balance, spent, inFlight, cap, floor *prometheus.Desc }) {
	d.balance = prometheus.NewDesc("tollgate_credits_balance", "The workspace's credit balance as last known (absent until known).", nil, nil)
	d.spent = prometheus.NewDesc("tollgate_budget_spent_credits", "Credits the deployment has spent against its cap.", nil, nil)
	d.inFlight = prometheus.NewDesc("tollgate_budget_in_flight_credits", "Credits held by calls in progress.", nil, nil)
	d.cap = prometheus.NewDesc("tollgate_budget_cap_credits", "The deployment's cap (--max-credits; absent when uncapped).", nil, nil)
	d.floor = prometheus.NewDesc("tollgate_budget_reserve_credits", "Credits of the workspace never to spend (--reserve).", nil, nil)
	return d
})

func (b budgetCollector) Describe(ch chan<- *prometheus.Desc) {
	ds := budgetDescs()
	for _, d := range []*prometheus.Desc{ds.balance, ds.spent, ds.inFlight, ds.cap, ds.floor} {
		ch <- d
	}
}

// scrapeReadTimeout bounds the budget read of a scrape.
const scrapeReadTimeout = 2 * time.Second

func (b budgetCollector) Collect(ch chan<- prometheus.Metric) {
	ctrl := b.g.box.Budget()
	if ctrl == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), scrapeReadTimeout)
	defer cancel()
	st, err := ctrl.Status(ctx)
	if err != nil {
		// The budget's store does not answer: its gauges are left out of
		// this scrape (tollgate_budget_* absent), /readyz says why.
		return
	}
	d := budgetDescs()
	gauge := func(d *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
	}
	if st.CreditsRemaining != nil {
		gauge(d.balance, *st.CreditsRemaining)
	}
	gauge(d.spent, st.RunSpent)
	gauge(d.inFlight, st.InFlight)
	if st.RunCap != nil {
		gauge(d.cap, *st.RunCap)
	}
	gauge(d.floor, st.Reserve)
}

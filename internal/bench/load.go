package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	goruntime "runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/tollgate-mcp/tollgate/gateway"
	"github.com/tollgate-mcp/tollgate/internal/bench/bare"
)

// httpServer is an MCP server on a loopback listener.
type httpServer struct {
	url string
	hs  *http.Server
}

func serveHTTP(side string, h http.Handler) (*httpServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &httpServer{url: "http://" + ln.Addr().String() + "/mcp",
		hs: &http.Server{Handler: labelled(side, h), ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = s.hs.Serve(ln) }()
	return s, nil
}

func (s *httpServer) Close() { _ = s.hs.Close() }

// loadResult is one load run: one server, one session count, one round.
type loadResult struct {
	calls   int
	failed  int
	elapsed time.Duration
	cpu     time.Duration
	lat     []time.Duration
}

func (l loadResult) rate() float64 { return float64(l.calls) / l.elapsed.Seconds() }

// session is one MCP session over Streamable HTTP, driven with bare
// JSON-RPC posts: the harness reads each answer whole but decodes
// nothing, so that its own CPU stays small next to the servers'.
type session struct {
	hc  *http.Client
	url string
	id  string
	n   int
	buf bytes.Buffer
}

// openSession initializes a session on url.
func openSession(ctx context.Context, hc *http.Client, url string) (*session, error) {
	s := &session{hc: hc, url: url}
	resp, err := s.post(ctx, initializeMsg)
	if err != nil {
		return nil, fmt.Errorf("initialize: %w", err)
	}
	if s.id = resp.Header.Get("Mcp-Session-Id"); s.id == "" {
		return nil, errors.New("initialize: no Mcp-Session-Id in the answer")
	}
	if _, err := s.post(ctx, initializedMsg); err != nil {
		return nil, fmt.Errorf("notifications/initialized: %w", err)
	}
	return s, nil
}

// post sends one JSON-RPC message and reads the answer into s.buf.
func (s *session) post(ctx context.Context, msg string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, strings.NewReader(msg))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if s.id != "" {
		req.Header.Set("Mcp-Session-Id", s.id)
		req.Header.Set("MCP-Protocol-Version", mcp.LATEST_LEGACY_PROTOCOL_VERSION)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	s.buf.Reset()
	if _, err := s.buf.ReadFrom(resp.Body); err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusAccepted {
		return nil, fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, s.buf.Bytes())
	}
	return resp, nil
}

// call makes one tools/call of the page and checks that its answer is a
// result that is not an error and holds the page.
func (s *session) call(ctx context.Context) error {
	s.n++
	msg := `{"jsonrpc":"2.0","id":` + strconv.Itoa(s.n) + `,"method":"tools/call","params":{"name":"` + bare.ToolName +
		`","arguments":{"search":"coffee","limit":20,"fields":["*"]}}}`
	if _, err := s.post(ctx, msg); err != nil {
		return err
	}
	b := s.buf.Bytes()
	if !bytes.Contains(b, []byte(`"result"`)) || bytes.Contains(b, []byte(`"isError":true`)) || len(b) < 20<<10 {
		return fmt.Errorf("not a successful page: %.300s", b)
	}
	return nil
}

// close ends the session.
func (s *session) close() {
	req, err := http.NewRequest(http.MethodDelete, s.url, nil)
	if err != nil {
		return
	}
	req.Header.Set("Mcp-Session-Id", s.id)
	if resp, err := s.hc.Do(req); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// load opens sessions MCP sessions on url, then has each call search_ads
// in a loop for d, and reports the calls made, their latencies and the
// process CPU they took. Opening and closing the sessions is not
// measured.
func load(ctx context.Context, hc *http.Client, url string, sessions int, d time.Duration) (loadResult, error) {
	ss := make([]*session, 0, sessions)
	defer func() {
		for _, s := range ss {
			s.close()
		}
	}()
	for range sessions {
		s, err := openSession(ctx, hc, url)
		if err != nil {
			return loadResult{}, err
		}
		ss = append(ss, s)
		if err := s.call(ctx); err != nil { // warm-up, and a check
			return loadResult{}, err
		}
	}

	var mu sync.Mutex
	var res loadResult
	goruntime.GC()
	cpu0, start := cpuTime(), time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for _, s := range ss {
		wg.Add(1)
		go pprof.Do(ctx, pprof.Labels(labelSide, sideLoad), func(ctx context.Context) {
			defer wg.Done()
			lat := make([]time.Duration, 0, 256)
			failed := 0
			for {
				t := time.Now()
				if !t.Before(deadline) || ctx.Err() != nil {
					break
				}
				if err := s.call(ctx); err != nil {
					failed++
					continue
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			res.lat = append(res.lat, lat...)
			res.failed += failed
			mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed, res.cpu = time.Since(start), cpuTime()-cpu0
	res.calls = len(res.lat)
	if res.calls == 0 {
		return res, fmt.Errorf("no call succeeded in %v (%d failed)", d, res.failed)
	}
	return res, ctx.Err()
}

func runLoad(ctx context.Context, cfg *Config, st *stack, r *Report) error {
	gw, err := gateway.New(gateway.Config{Toolbox: st.box})
	if err != nil {
		return err
	}
	defer gw.Close()
	tg, err := serveHTTP(sideTG, gw.Handler())
	if err != nil {
		return err
	}
	defer tg.Close()
	bs := server.NewStreamableHTTPServer(bare.New(st.sbURL, st.key, st.raw), server.WithEndpointPath("/mcp"))
	mux := http.NewServeMux()
	mux.Handle("/mcp", bs)
	bsrv, err := serveHTTP(sideBare, mux)
	if err != nil {
		return err
	}
	defer bsrv.Close()
	hc := &http.Client{Transport: poolTransport(256)}
	defer hc.CloseIdleConnections()

	urls := [2]string{tg.url, bsrv.url}
	for _, n := range cfg.Sessions {
		logf(cfg.Log, "mcp: %d session(s), tollgate and bare in turn, %d rounds of %v each", n, cfg.LoadRounds, cfg.LoadDuration)
		var runs [2][]loadResult
		for round := range cfg.LoadRounds {
			for k := range 2 {
				i := (k + round) % 2
				res, err := load(ctx, hc, urls[i], n, cfg.LoadDuration)
				if err != nil {
					return fmt.Errorf("%s, %d sessions: %w", [2]string{"tollgate", "bare"}[i], n, err)
				}
				runs[i] = append(runs[i], res)
			}
		}
		r.Scaling = append(r.Scaling, summarise(n, runs))
	}
	for _, s := range r.Scaling {
		if s.Sessions != 1 && s.Sessions != 16 {
			continue
		}
		r.Rows = append(r.Rows, Row{
			What:   fmt.Sprintf("MCP `tools/call` over Streamable HTTP vs a bare mcp-go server with one tool returning the same body, calls/s, %d session(s)", s.Sessions),
			Figure: ratioText(s.Ratio),
			Detail: fmt.Sprintf("%.0f vs %.0f calls/s; CPU per call %s", s.Rate[0], s.Rate[1], ratioText(s.CPURatio)),
			Goal:   "≥ 0.9×",
		})
	}
	for _, s := range r.Scaling {
		if s.Failed[0]+s.Failed[1] > 0 {
			r.note(cfg.Log, "%d sessions: %d tollgate and %d bare calls failed (left out of the figures)", s.Sessions, s.Failed[0], s.Failed[1])
		}
	}
	return nil
}

// summarise turns the rounds of one session count into its row.
func summarise(n int, runs [2][]loadResult) Scale {
	s := Scale{Sessions: n, RoundsTaken: len(runs[0])}
	var rates, cpus [2][]float64
	for i := range 2 {
		var lat []time.Duration
		for _, res := range runs[i] {
			rates[i] = append(rates[i], res.rate())
			cpus[i] = append(cpus[i], float64(res.cpu)/float64(res.calls))
			lat = append(lat, res.lat...)
			s.Calls[i] += res.calls
			s.Failed[i] += res.failed
		}
		slices.Sort(lat)
		s.Rate[i] = median(rates[i])
		s.P50[i], s.P99[i] = Percentile(lat, 50), Percentile(lat, 99)
		s.CPUPerCall[i] = time.Duration(median(cpus[i]))
	}
	s.Ratio = SpreadOf(Ratios(rates[0], rates[1]))
	s.CPURatio = SpreadOf(Ratios(cpus[0], cpus[1]))
	return s
}

package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	goruntime "runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/tollgate-mcp/tollgate/gateway"
	"github.com/tollgate-mcp/tollgate/internal/bench/bare"
	"github.com/tollgate-mcp/tollgate/mcpserver"
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

// load opens sessions MCP sessions on url (one mcp-go Streamable HTTP
// client each), then has each call search_ads in a loop for d, and
// reports the calls made, their latencies and the process CPU they took.
// Opening and closing the sessions is not measured.
func load(ctx context.Context, hc *http.Client, url string, sessions int, d time.Duration) (loadResult, error) {
	clients := make([]*client.Client, 0, sessions)
	defer func() {
		for _, c := range clients {
			_ = c.Close()
		}
	}()
	req := mcp.CallToolRequest{}
	req.Params.Name = bare.ToolName
	req.Params.Arguments = callArgs
	call := func(ctx context.Context, c *client.Client) error {
		res, err := c.CallTool(ctx, req)
		if err == nil && res.IsError {
			err = errors.New("the tool answered isError")
		}
		return err
	}
	for range sessions {
		c, err := client.NewStreamableHttpClient(url, transport.WithHTTPBasicClient(hc))
		if err != nil {
			return loadResult{}, err
		}
		clients = append(clients, c)
		if err := c.Start(ctx); err != nil {
			return loadResult{}, err
		}
		init := mcp.InitializeRequest{}
		init.Params.ProtocolVersion = mcp.LATEST_LEGACY_PROTOCOL_VERSION
		init.Params.ClientInfo = mcp.Implementation{Name: "tollgate-bench", Version: "1"}
		if _, err := c.Initialize(ctx, init); err != nil {
			return loadResult{}, fmt.Errorf("initialize: %w", err)
		}
		if err := call(ctx, c); err != nil { // warm-up, and a check
			return loadResult{}, err
		}
	}

	var mu sync.Mutex
	var res loadResult
	goruntime.GC()
	cpu0, start := cpuTime(), time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for _, c := range clients {
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
				if err := call(ctx, c); err != nil {
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
	tg, err := serveHTTP(sideTG, gateway.Handler(mcpserver.New(st.box, mcpserver.Options{}), gateway.Options{}))
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
			Detail: fmt.Sprintf("%.0f vs %.0f calls/s", s.Rate[0], s.Rate[1]),
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

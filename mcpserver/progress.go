package mcpserver

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/tollgate-mcp/tollgate/runtime"
)

// progress sends a tool call's retry waits as MCP progress
// notifications, at most one per interval, and repeats a long wait's
// notification every tick while it lasts.
type progress struct {
	tool  string // the tool the model called, named in the messages
	srv   *server.MCPServer
	ctx   context.Context
	token mcp.ProgressToken
	every time.Duration
	tick  time.Duration
	now   func() time.Time
	log   *slog.Logger
	done  chan struct{} // closed when the tool call returns

	mu      sync.Mutex
	n       int
	last    time.Time
	stopped bool
	wg      sync.WaitGroup
	sendMu  sync.Mutex
}

func (p *progress) ObserveResponse(context.Context, *runtime.Request, int, runtime.Metering) {}

func (p *progress) ObserveWait(_ context.Context, r *runtime.Request, w runtime.Wait) {
	if p.srv == nil {
		return
	}
	p.mu.Lock()
	now := p.now()
	if p.n > 0 && now.Sub(p.last) < p.every || p.stopped {
		p.mu.Unlock()
		return
	}
	p.last = now
	long := w.Delay >= 2*p.tick
	if long {
		p.wg.Add(1)
	}
	p.mu.Unlock()
	name := p.tool
	if name == "" {
		name = r.Operation
	}
	why := fmt.Sprintf("%s: %s (HTTP %d)", name, w.Reason, w.Status)
	if w.Status == 0 {
		why = fmt.Sprintf("%s: %s", name, w.Reason)
	}
	p.send(fmt.Sprintf("%s; waiting %s %s", why, w.Delay.Round(10*time.Millisecond), waitingFor(w)))
	if long {
		go p.repeat(why, w, time.Now().Add(w.Delay))
	}
}

// waitingFor says what a wait is for: a retry, or (a pacing wait before
// an attempt, keeping to the server's rate limit) the next attempt.
func waitingFor(w runtime.Wait) string {
	if w.Reason == runtime.ReasonPacing {
		return "to keep to the API's rate limit"
	}
	return fmt.Sprintf("before retry %d", w.Attempt)
}

// repeat reports the wait every tick until it ends, the call returns or
// its context is done. It measures real time: the wait it reports is a
// real sleep.
func (p *progress) repeat(why string, w runtime.Wait, end time.Time) {
	defer p.wg.Done()
	t := time.NewTicker(p.tick)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-p.ctx.Done():
			return
		case now := <-t.C:
			left := end.Sub(now)
			if left < p.tick/2 {
				return
			}
			p.send(fmt.Sprintf("%s; still waiting, %s left %s", why, left.Round(time.Second), waitingFor(w)))
		}
	}
}

func (p *progress) send(msg string) {
	// One send at a time, so progress numbers reach the host in order.
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	p.mu.Lock()
	p.n++
	n := p.n
	p.mu.Unlock()
	err := p.srv.SendNotificationToClient(p.ctx, string(mcp.MethodNotificationProgress), map[string]any{
		"progressToken": p.token,
		"progress":      n,
		"message":       msg,
	})
	if err != nil {
		p.log.Debug("progress notification not sent", "err", err)
	}
}

// stop ends the repeats when the tool call returns, and waits for them.
func (p *progress) stop() {
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	close(p.done)
	p.wg.Wait()
}

package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// A Check is one condition of readiness (/readyz): Func returns nil when
// it holds, else an error saying what is missing.
type Check struct {
	Name string
	Func func(ctx context.Context) error
}

// Pinger is implemented by stores that can tell whether they are
// reachable (redisstore.Sessions); /readyz asks them.
type Pinger interface {
	Ping(ctx context.Context) error
}

// readyTimeout bounds one /readyz.
const readyTimeout = 3 * time.Second

// refreshEvery bounds how often /readyz asks the API for the balance
// while it is unknown (GET /v1/usage is free, but not rate-free).
const refreshEvery = 30 * time.Second

// serveHealth answers /healthz: the process is alive and serving HTTP.
func (g *Gateway) serveHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}

// Readiness is the answer of /readyz.
type Readiness struct {
	Ready bool `json:"ready"`
	// Checks maps each check to "ok" or what is missing.
	Checks map[string]string `json:"checks"`
	// Missing lists what is not ready, as "name: reason".
	Missing []string `json:"missing,omitempty"`
}

// Ready runs the readiness checks: the catalogue is loaded, the balance
// is known (asking the API at most every 30 s while it is not), every
// store is reachable, and the ledger's last write succeeded.
func (g *Gateway) Ready(ctx context.Context) Readiness {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	checks := []Check{
		{"catalogue", func(context.Context) error {
			if g.box.Catalogue().Len() == 0 {
				return fmt.Errorf("no tools loaded")
			}
			return nil
		}},
		{"balance", g.balanceKnown},
	}
	if p, ok := g.sessions.(Pinger); ok {
		checks = append(checks, Check{"sessions", p.Ping})
	}
	if g.cfg.Ledger != nil {
		checks = append(checks, Check{"ledger", func(context.Context) error { return g.cfg.Ledger.Healthy() }})
	}
	checks = append(checks, g.cfg.Checks...)
	rd := Readiness{Ready: true, Checks: map[string]string{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range checks {
		wg.Go(func() {
			err := c.Func(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				rd.Checks[c.Name] = "ok"
				return
			}
			rd.Ready = false
			rd.Checks[c.Name] = err.Error()
			rd.Missing = append(rd.Missing, c.Name+": "+err.Error())
		})
	}
	wg.Wait()
	return rd
}

func (g *Gateway) serveReady(w http.ResponseWriter, r *http.Request) {
	rd := g.Ready(r.Context())
	w.Header().Set("Content-Type", "application/json")
	if !rd.Ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(rd)
}

// balanceKnown holds once the budget knows the workspace's balance.
func (g *Gateway) balanceKnown(ctx context.Context) error {
	ctrl := g.box.Budget()
	if ctrl == nil {
		return nil
	}
	st, err := ctrl.Status(ctx)
	if err != nil {
		return fmt.Errorf("the budget cannot be read: %v", err)
	}
	if st.CreditsRemaining != nil {
		return nil
	}
	g.refreshMu.Lock()
	due := g.now().Sub(g.refreshedAt) >= refreshEvery
	if due {
		g.refreshedAt = g.now()
	}
	g.refreshMu.Unlock()
	if due && ctrl.Config().Usage != nil {
		if _, err := ctrl.Refresh(ctx); err != nil {
			return fmt.Errorf("the balance is unknown: %v", err)
		}
		if st, err := ctrl.Status(ctx); err == nil && st.CreditsRemaining != nil {
			return nil
		}
	}
	return fmt.Errorf("the balance is unknown until GET /v1/usage or a paid call answers")
}

package gateway

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/tools"
)

// Per-client budgets.
//
// Every client of a clients file gets a budget of its own, its cap
// (maxCredits), inside the deployment's (--max-credits, --reserve): a
// call must fit both (budget.Config.Within), so a client is held to its
// cap while others spend, and all together to the deployment's. With
// --max-credits-per-session a session's budget sits inside its client's
// the same way; under 2026-07-28, which has no sessions, each request is
// its own session, so the per-session cap bounds each call.
//
// A client also gets its own catalogue (toolsets, readOnly), and the
// budget toolset, so that get_budget shows its own view: its cap, its
// spend, what it may still spend given everyone else's, and the
// workspace's balance and floor.
//
// A client's spend is kept in the store Config.ClientStore gives for its
// name (Redis: it holds across instances and restarts), so a reload of
// the clients file that changes a cap continues from what was spent.

// clientState is a client's budget and toolbox, made for one entry of
// the clients file.
type clientState struct {
	client *Client
	ctrl   *budget.Controller // nil: the deployment's budget alone
	box    *tools.Toolbox
}

// sessionState is a session's budget and toolbox.
type sessionState struct {
	of   *clientState
	ctrl *budget.Controller
	box  *tools.Toolbox
	used time.Time
}

type budgets struct {
	mu       sync.Mutex
	clients  map[string]*clientState  // by client name
	stores   map[string]budget.Store  // by client name, kept across reloads
	sessions map[string]*sessionState // by SessionKey
	swept    int
}

// checkClients verifies a clients file against the catalogue: every
// toolset it names exists.
func (g *Gateway) checkClients(list []*Client) error {
	known := g.box.Catalogue().Toolsets()
	for _, c := range list {
		for _, ts := range c.Toolsets {
			if !slices.Contains(known, ts) {
				return fmt.Errorf("client %s: unknown toolset %q; this server offers: %v", c.Name, ts, known)
			}
		}
	}
	return nil
}

// clientState returns the budget and toolbox of c, made on first use and
// again when the clients file gave c a new entry.
func (g *Gateway) clientState(c *Client) *clientState {
	g.budgets.mu.Lock()
	defer g.budgets.mu.Unlock()
	if st := g.budgets.clients[c.Name]; st != nil && st.client == c {
		return st
	}
	st := &clientState{client: c, box: g.box}
	if g.single != nil {
		// One token, or none: the deployment's budget and tools.
		g.budgets.clients[c.Name] = st
		return st
	}
	cfg := g.box.Config()
	cat, err := g.box.Catalogue().Select(clientFilter(c, g.box.Catalogue()))
	if err != nil {
		g.log.Error("client's tools cannot be selected; it gets none of the paid ones", "client", c.Name, "err", err)
		cat, _ = g.box.Catalogue().Select(tools.Filter{Toolsets: []string{tools.ToolsetBudget}})
	}
	if cat != nil {
		cfg.Catalogue = cat
	}
	if dep := g.box.Budget(); dep != nil {
		store := g.budgets.stores[c.Name]
		if store == nil {
			store = g.clientStore(c.Name)
			g.budgets.stores[c.Name] = store
		}
		capCredits := int64(budget.Unlimited)
		if c.MaxCredits != nil {
			capCredits = *c.MaxCredits
		}
		ctrl, err := budget.New(budget.Config{MaxCredits: capCredits, WarnAt: dep.Config().WarnAt, Store: store,
			Within: dep, Logger: g.log.With("client", c.Name)})
		if err != nil {
			g.log.Error("client's budget cannot be made; its paid calls will fail", "client", c.Name, "err", err)
			ctrl, _ = budget.New(budget.Config{MaxCredits: 1, Store: failingStore{err}, Within: dep})
		}
		st.ctrl = ctrl
		cfg.Budget = ctrl
	}
	box, err := tools.NewToolbox(cfg)
	if err != nil {
		g.log.Error("client's toolbox cannot be made", "client", c.Name, "err", err)
		box = g.box
	}
	st.box = box
	g.budgets.clients[c.Name] = st
	return st
}

// clientFilter is the catalogue filter of c: its toolsets (with the
// budget toolset, for get_budget) and readOnly.
func clientFilter(c *Client, cat *tools.Catalogue) tools.Filter {
	// No toolsets: every tool the deployment offers (an empty Filter
	// would narrow it to the core list).
	f := tools.Filter{ReadOnly: c.ReadOnly, Toolsets: []string{tools.ToolsetAll}}
	if len(c.Toolsets) > 0 {
		f.Toolsets = slices.Clone(c.Toolsets)
		if !slices.Contains(f.Toolsets, tools.ToolsetBudget) && slices.Contains(cat.Toolsets(), tools.ToolsetBudget) {
			f.Toolsets = append(f.Toolsets, tools.ToolsetBudget)
		}
	}
	return f
}

func (g *Gateway) clientStore(name string) budget.Store {
	if g.cfg.ClientStore == nil {
		return budget.NewMemoryStore()
	}
	s, err := g.cfg.ClientStore(name)
	if err != nil {
		g.log.Error("client's budget store cannot be opened; its paid calls will fail", "client", name, "err", err)
		return failingStore{err}
	}
	return s
}

// callBudget picks the toolbox of a request and the budgets its calls go
// through besides the deployment's (innermost first), which must observe
// the call's responses.
func (g *Gateway) callBudget(c *Client, s *Session, modern bool) (*tools.Toolbox, []*budget.Controller) {
	st := g.clientState(c)
	var chain []*budget.Controller
	if st.ctrl != nil {
		chain = append(chain, st.ctrl)
	}
	per := g.cfg.MaxCreditsPerSession
	outer := st.ctrl
	if outer == nil {
		outer = g.box.Budget()
	}
	if per <= 0 || outer == nil {
		return st.box, chain
	}
	if modern || s == nil {
		// No session: the request is its own.
		ctrl, box := g.sessionBudget(st, outer, budget.NewMemoryStore())
		return box, append([]*budget.Controller{ctrl}, chain...)
	}
	key := SessionKey(s.ID)
	g.budgets.mu.Lock()
	ss := g.budgets.sessions[key]
	now := g.now()
	if ss == nil || ss.of != st {
		g.budgets.mu.Unlock()
		var store budget.Store = budget.NewMemoryStore()
		if ss != nil {
			store = ss.ctrl.Config().Store // the client's entry changed: keep the session's spend
		} else if g.cfg.SessionBudgetStore != nil {
			store = g.cfg.SessionBudgetStore(key)
		}
		ctrl, box := g.sessionBudget(st, outer, store)
		g.budgets.mu.Lock()
		ss = &sessionState{of: st, ctrl: ctrl, box: box}
		g.budgets.sessions[key] = ss
		g.sweepSessions(now)
	}
	ss.used = now
	g.budgets.mu.Unlock()
	return ss.box, append([]*budget.Controller{ss.ctrl}, chain...)
}

func (g *Gateway) sessionBudget(st *clientState, outer *budget.Controller, store budget.Store) (*budget.Controller, *tools.Toolbox) {
	ctrl, err := budget.New(budget.Config{MaxCredits: g.cfg.MaxCreditsPerSession, WarnAt: outer.Config().WarnAt,
		Store: store, Within: outer, Logger: g.log})
	if err != nil {
		ctrl, _ = budget.New(budget.Config{MaxCredits: 1, Store: failingStore{err}, Within: outer})
	}
	cfg := st.box.Config()
	cfg.Budget = ctrl
	box, err := tools.NewToolbox(cfg)
	if err != nil {
		box = st.box
	}
	return ctrl, box
}

// sweepSessions forgets the budgets of sessions idle past their TTL,
// once the map has doubled since the last sweep. Callers hold mu.
func (g *Gateway) sweepSessions(now time.Time) {
	if len(g.budgets.sessions) < 2*g.budgets.swept+64 {
		return
	}
	for k, ss := range g.budgets.sessions {
		if now.Sub(ss.used) > g.cfg.SessionTTL {
			delete(g.budgets.sessions, k)
		}
	}
	g.budgets.swept = len(g.budgets.sessions)
}

// dropSession forgets a session's budget when it ends.
func (g *Gateway) dropSession(id string) {
	g.budgets.mu.Lock()
	defer g.budgets.mu.Unlock()
	delete(g.budgets.sessions, SessionKey(id))
}

// closeStores closes the client stores the gateway opened.
func (g *Gateway) closeStores() {
	g.budgets.mu.Lock()
	defer g.budgets.mu.Unlock()
	for name, s := range g.budgets.stores {
		if c, ok := s.(io.Closer); ok {
			if err := c.Close(); err != nil {
				g.log.Warn("could not close a client's budget store", "client", name, "err", err)
			}
		}
	}
}

// The toolbox of a request travels in its context, to mcpserver's
// ToolboxFor.
type boxKey struct{}

// withCallBudget puts the request's toolbox in ctx, and its budgets
// among the call's observers so that its responses settle them.
func withCallBudget(ctx context.Context, box *tools.Toolbox, chain []*budget.Controller) context.Context {
	ctx = context.WithValue(ctx, boxKey{}, box)
	for _, c := range chain {
		ctx = runtime.WithCallObserver(ctx, c)
	}
	return ctx
}

// boxFor is the toolbox a call runs on.
func (g *Gateway) boxFor(ctx context.Context) *tools.Toolbox {
	if b, ok := ctx.Value(boxKey{}).(*tools.Toolbox); ok {
		return b
	}
	return g.box
}

// filterTools shows a caller only its own tools in tools/list (and, by
// mcp-go's call-time check, lets it call no other): the catalogue tools
// of its toolbox, and the face's own tools (dynamic mode's).
func (g *Gateway) filterTools(ctx context.Context, list []mcp.Tool) []mcp.Tool {
	box := g.boxFor(ctx)
	if box == g.box {
		return list
	}
	out := list[:0:0]
	for _, t := range list {
		_, inDeployment := g.box.Catalogue().Lookup(t.Name)
		if _, mine := box.Catalogue().Lookup(t.Name); mine || !inDeployment {
			out = append(out, t)
		}
	}
	return out
}

var _ server.ToolFilterFunc = (*Gateway)(nil).filterTools

// failingStore is the budget store of a client whose store could not be
// opened: every paid call fails, nothing is spent.
type failingStore struct{ err error }

func (f failingStore) Load(context.Context) (budget.Ledger, error) { return budget.Ledger{}, f.err }
func (f failingStore) Reserve(context.Context, budget.Hold) (budget.Ledger, int64, error) {
	return budget.Ledger{}, 0, f.err
}
func (f failingStore) Settle(context.Context, budget.Settlement) (budget.Ledger, error) {
	return budget.Ledger{}, f.err
}
func (f failingStore) Record(context.Context, budget.Fact) (budget.Ledger, error) {
	return budget.Ledger{}, f.err
}

package gateway

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/tollgate-mcp/tollgate/tools"
)

// The audit ledger: one JSON line per paid call (a call of a tool that
// costs credits, whether it ran, failed or was halted), appended and
// fsynced before the call's result goes back to the client, so that no
// answered call is missing after a crash or a kill -9. A line holds no
// key, no token and no session id (a fingerprint of it), and the
// arguments only as a digest.

// LedgerEntry is one line of the ledger.
type LedgerEntry struct {
	Time time.Time `json:"time"`
	// Client is the caller's name.
	Client string `json:"client"`
	// Session is a fingerprint of the session (the first 16 hex digits
	// of SessionKey); "" under 2026-07-28, which has no sessions.
	Session   string `json:"session,omitempty"`
	Tool      string `json:"tool"`
	Operation string `json:"operation"`
	// Args is "sha256:" and the hex SHA-256 of the arguments as JSON
	// (keys sorted).
	Args      string `json:"args"`
	Reserved  int64  `json:"reserved"`
	Charged   int64  `json:"charged"`
	RequestID string `json:"requestId,omitempty"`
	Status    int    `json:"status,omitempty"`
	// Outcome is "ok" or the advice code of the failure.
	Outcome string `json:"outcome"`
}

// A Ledger appends entries to a JSONL file, each synced to disk before
// Write returns. It is safe for concurrent use.
type Ledger struct {
	mu   sync.Mutex
	f    *os.File
	path string
	err  error // the last write's error, nil once a write succeeds
}

// OpenLedger opens (or creates, mode 0600) the ledger file for
// appending.
func OpenLedger(path string) (*Ledger, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("--ledger: %w", err)
	}
	return &Ledger{f: f, path: path}, nil
}

// Path is the ledger's file.
func (l *Ledger) Path() string { return l.path }

// Write appends e as one line and syncs the file.
func (l *Ledger) Write(e LedgerEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return errors.New("gateway: the ledger is closed")
	}
	if _, err = l.f.Write(b); err == nil {
		err = l.f.Sync()
	}
	if err != nil {
		err = fmt.Errorf("writing the ledger %s: %w", l.path, err)
	}
	l.err = err
	return err
}

// Healthy is the error of the last write, nil when it succeeded.
func (l *Ledger) Healthy() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Close closes the file.
func (l *Ledger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// argsDigest is the digest of a call's arguments.
func argsDigest(args map[string]any) string {
	b, err := json.Marshal(args) // map keys come out sorted
	if err != nil {
		b = []byte(fmt.Sprint(args))
	}
	h := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(h[:])
}

// account is the tools.AccountFunc of every toolbox of the gateway: the
// metrics and, for a paid tool, the ledger line, before the result goes
// back.
func (g *Gateway) account(ctx context.Context, t *tools.Tool, args map[string]any, r *tools.Result) {
	c := callerFrom(ctx)
	ch := r.Charge
	g.metrics.account(c, t, ch)
	if g.cfg.Ledger == nil || t.Cost == tools.CostFree {
		return
	}
	e := LedgerEntry{
		Time: g.now().UTC(), Client: c.Name, Tool: t.Name, Operation: ch.Operation, Args: argsDigest(args),
		Reserved: ch.Reserved, Charged: ch.Charged, RequestID: ch.RequestID, Status: ch.Status, Outcome: ch.Outcome,
	}
	if s, ok := sessionFrom(ctx); ok {
		e.Session = SessionKey(s.ID)[:16]
	}
	if err := g.cfg.Ledger.Write(e); err != nil {
		g.metrics.ledgerErr.Inc()
		g.log.LogAttrs(ctx, slog.LevelError, "a paid call is missing from the ledger", clientAttr(c), toolAttr(t.Name),
			slog.Int64("charged", ch.Charged), slog.String("requestId", ch.RequestID), slog.String("err", err.Error()))
	}
}

// LedgerRow is one line of a ledger summary: the calls of one client
// to one tool on one day (UTC).
type LedgerRow struct {
	Day      string `json:"day"` // 2026-12-01
	Client   string `json:"client"`
	Tool     string `json:"tool"`
	Calls    int    `json:"calls"`
	Failed   int    `json:"failed"` // outcome other than ok
	Reserved int64  `json:"reserved"`
	Charged  int64  `json:"charged"`
}

// LedgerSummary is what SummarizeLedger makes of a ledger.
type LedgerSummary struct {
	Rows []LedgerRow `json:"rows"`
	// Total sums every row.
	Total LedgerRow `json:"total"`
	// Skipped counts lines that are not entries (a line torn by a crash
	// mid-write can only be the last one).
	Skipped int `json:"skipped"`
}

// SummarizeLedger reads a ledger and sums it by day, client and tool,
// sorted in that order.
func SummarizeLedger(r io.Reader) (*LedgerSummary, error) {
	type key struct{ day, client, tool string }
	rows := map[key]*LedgerRow{}
	s := &LedgerSummary{Total: LedgerRow{Day: "total"}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		var e LedgerEntry
		if err := json.Unmarshal(line, &e); err != nil || e.Time.IsZero() {
			s.Skipped++
			continue
		}
		k := key{e.Time.UTC().Format(time.DateOnly), e.Client, e.Tool}
		row := rows[k]
		if row == nil {
			row = &LedgerRow{Day: k.day, Client: k.client, Tool: k.tool}
			rows[k] = row
		}
		for _, x := range []*LedgerRow{row, &s.Total} {
			x.Calls++
			x.Reserved += e.Reserved
			x.Charged += e.Charged
			if e.Outcome != tools.OutcomeOK {
				x.Failed++
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	s.Rows = make([]LedgerRow, 0, len(rows))
	for _, row := range rows {
		s.Rows = append(s.Rows, *row)
	}
	sort.Slice(s.Rows, func(i, j int) bool {
		a, b := s.Rows[i], s.Rows[j]
		if a.Day != b.Day {
			return a.Day < b.Day
		}
		if a.Client != b.Client {
			return a.Client < b.Client
		}
		return a.Tool < b.Tool
	})
	return s, nil
}

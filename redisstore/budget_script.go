package redisstore

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
)

// This file runs ledger.lua: one operation, rejoining a ledger that was
// lost or moved, and the arguments and replies of the script.

// result is one script reply.
type result struct {
	epochSent string // the epoch the request named
	status    string
	epoch     string
	gen       int64
	ledger    budget.Ledger
	reaped    int64 // processes whose holds were counted as spent
	freed     int64 // and those holds
	extra     int64
	wait      time.Duration
}

// do runs op, rejoining the ledger when it was lost or moved and waiting
// while a new ledger is not open yet, within ctx.
func (b *Budget) do(ctx context.Context, op string, args ...any) (result, error) {
	for attempt := 0; ; attempt++ {
		r, err := b.run(ctx, op, args...)
		if err != nil {
			return r, err
		}
		switch r.status {
		case "lost", "moved", "rollback":
			if attempt > 2 {
				return r, b.errorf("the ledger keeps changing under this process (%s)", r.status)
			}
			if err := b.join(ctx, r.status, r.epochSent); err != nil {
				return r, err
			}
			continue
		case "wait":
			if err := runtime.SystemClock().Sleep(ctx, r.wait); err != nil {
				return r, b.errorf("waiting %v for every live process to rejoin a new ledger: %w", r.wait, err)
			}
			continue
		}
		b.saw(r)
		if r.reaped > 0 {
			b.log.LogAttrs(ctx, slog.LevelInfo, "redisstore: counted as spent what processes whose lease ran out held",
				slog.String("budget", b.name), slog.Int64("processes", r.reaped), slog.Int64("credits", r.freed))
		}
		return r, nil
	}
}

// run runs the script once.
func (b *Budget) run(ctx context.Context, op string, args ...any) (result, error) {
	b.mu.Lock()
	epoch, gen := b.epoch, b.gen
	b.mu.Unlock()
	if epoch == "" && op != "join" {
		if err := b.join(ctx, "new", ""); err != nil {
			return result{}, err
		}
		b.mu.Lock()
		epoch, gen = b.epoch, b.gen
		b.mu.Unlock()
	}
	cctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	argv := append([]any{op, b.id, epoch, gen, b.ttl.Milliseconds()}, args...)
	raw, err := ledgerScript().Run(cctx, b.client, b.keys, argv...).Slice()
	if err != nil {
		if ctx.Err() != nil {
			return result{}, ctx.Err()
		}
		if isReplyError(err) {
			return result{}, b.errorf("%s: %w", op, err)
		}
		b.markDown(ctx, err)
		return result{}, b.errorf("Redis cannot be reached: %w", err)
	}
	b.markUp(ctx)
	r, err := parseReply(raw)
	if err != nil {
		return result{}, b.errorf("%s: %w", op, err)
	}
	r.epochSent = epoch
	return r, nil
}

// join (re)joins the ledger, which an operation made in epoch saw
// missing or changed: it creates the ledger when it is missing or older
// than this process has seen, or adds what this process knows to one
// rebuilt by another.
func (b *Budget) join(ctx context.Context, why, epoch string) error {
	b.joinMu.Lock()
	defer b.joinMu.Unlock()
	b.mu.Lock()
	oldEpoch, spent, last := b.epoch, b.spent, b.last
	if oldEpoch != epoch {
		b.mu.Unlock()
		return nil // another goroutine has rejoined since
	}
	holds := make([]any, 0, 2*len(b.live))
	for id, c := range b.live {
		holds = append(holds, id, c)
	}
	b.mu.Unlock()
	var raw [8]byte
	_, _ = crand.Read(raw[:])
	bal := int64(-1)
	if last.BalanceKnown {
		bal = last.Balance
	}
	args := []any{hex.EncodeToString(raw[:]), spent, b.window.Milliseconds(), bal, millis(last.BalanceAt),
		millis(last.RefillAt), boolArg(last.Exhausted), millis(last.ExhaustedUntil), len(holds) / 2}
	r, err := b.run(ctx, "join", append(args, holds...)...)
	if err != nil {
		return err
	}
	if r.status != "ok" && r.status != "created" && r.status != "joined" {
		return b.errorf("joining the ledger: unexpected answer %q", r.status)
	}
	b.mu.Lock()
	b.epoch, b.gen, b.spent = r.epoch, 0, 0
	b.mu.Unlock()
	b.saw(r)
	switch {
	case r.status == "ok":
	case oldEpoch == "" && r.status == "created":
		b.log.LogAttrs(ctx, slog.LevelInfo, "redisstore: started a new shared budget",
			slog.String("budget", b.name), slog.String("process", b.id), slog.String("who", b.tag))
	case oldEpoch != "":
		b.log.LogAttrs(ctx, slog.LevelWarn, "redisstore: the shared ledger was lost or rolled back (Redis restarted without its data?); "+
			"rebuilt it from what the live processes know",
			slog.String("budget", b.name), slog.String("found", why), slog.String("how", r.status),
			slog.Int64("spentThisProcessSaw", spent), slog.Int64("spentNow", r.ledger.Spent), slog.Int("holdsBroughtBack", len(holds)/2))
	}
	return nil
}

// saw records what a reply showed.
func (b *Budget) saw(r result) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r.epoch != b.epoch {
		return
	}
	if r.gen > b.gen {
		b.gen = r.gen
		b.last = r.ledger
	}
	b.spent = max(b.spent, r.ledger.Spent)
}

func (b *Budget) markDown(ctx context.Context, err error) {
	b.mu.Lock()
	was := b.down
	b.down = err
	b.mu.Unlock()
	if was == nil {
		b.log.LogAttrs(ctx, slog.LevelWarn, "redisstore: Redis cannot be reached; paid calls halt until it answers (retried every heartbeat)",
			slog.String("budget", b.name), slog.Duration("every", b.beat), slog.String("err", err.Error()))
	}
}

func (b *Budget) markUp(ctx context.Context) {
	b.mu.Lock()
	was := b.down
	b.down = nil
	b.mu.Unlock()
	if was != nil {
		b.log.LogAttrs(ctx, slog.LevelInfo, "redisstore: Redis answers again; the shared budget is back", slog.String("budget", b.name))
	}
}

func (b *Budget) errorf(format string, args ...any) error {
	return fmt.Errorf("redisstore: budget %q: "+format, append([]any{b.name}, args...)...)
}

// isReplyError reports an error Redis answered that says something is
// wrong with the request (a script error, a key of the wrong type), as
// opposed to no answer, or one that means "not now" (a Redis still
// loading its data after a restart, a failover in progress).
func isReplyError(err error) bool {
	var re redis.Error
	if !errors.As(err, &re) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	for _, busy := range []string{"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "READONLY"} {
		if redis.HasErrorPrefix(err, busy) {
			return false
		}
	}
	return true
}

func parseReply(raw []any) (result, error) {
	if len(raw) == 0 {
		return result{}, errors.New("empty reply")
	}
	r := result{status: str(raw[0])}
	switch r.status {
	case "lost", "rollback":
		return r, nil
	case "moved":
		if len(raw) > 1 {
			r.epoch = str(raw[1])
		}
		return r, nil
	case "wait":
		if len(raw) > 1 {
			r.wait = time.Duration(integer(raw[1])) * time.Millisecond
		}
		return r, nil
	}
	if len(raw) < 15 {
		return result{}, fmt.Errorf("reply of %d fields, want 15 (is every process running the same tollgate?)", len(raw))
	}
	r.epoch, r.gen = str(raw[1]), integer(raw[2])
	r.ledger = budget.Ledger{
		Spent:          integer(raw[3]),
		InFlight:       integer(raw[4]),
		Balance:        integer(raw[5]),
		BalanceKnown:   integer(raw[6]) == 1,
		BalanceAt:      fromMillis(integer(raw[7])),
		BalanceSource:  str(raw[8]),
		RefillAt:       fromMillis(integer(raw[9])),
		Exhausted:      integer(raw[10]) == 1,
		ExhaustedUntil: fromMillis(integer(raw[11])),
	}
	if !r.ledger.BalanceKnown {
		r.ledger.Balance, r.ledger.BalanceAt, r.ledger.BalanceSource = 0, time.Time{}, ""
	}
	r.reaped, r.freed, r.extra = integer(raw[12]), integer(raw[13]), integer(raw[14])
	return r, nil
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return ""
}

func integer(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}

// settleArgs are the six script arguments of e.
func settleArgs(e entry) []any {
	kind := "s"
	if e.cancel {
		kind = "x"
	}
	return []any{kind, e.s.ID, e.s.Release, e.s.Charge, countArg(e.s.Remaining), countArg(e.s.Seen)}
}

func countArg(c runtime.Count) int64 {
	if !c.Present {
		return -1
	}
	return c.Value
}

func boolArg(v bool) int {
	if v {
		return 1
	}
	return 0
}

// millis is t in unix milliseconds, 0 for the zero time.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

package budget

import (
	"context"
	"log/slog"

	"github.com/tollgate-mcp/tollgate/runtime"
)

// ObserveResponse implements runtime.Observer. The first 2xx response of a
// call made with a reservation's context settles it: the hold is released
// and the response's cost (X-Usage-Cost, else X-Credits-Used, else the
// reserved worst case) is charged to the run. A cost seen on any other
// response (a call made without Reserve) is charged too. An
// X-Credits-Remaining header lowers the known balance, never raises it.
func (c *Controller) ObserveResponse(ctx context.Context, req *runtime.Request, status int, m runtime.Metering) {
	r := reservationFrom(ctx)
	if r != nil && r.c != c {
		r = nil // another controller's reservation
	}
	var (
		held, charge int64
		settling     bool
		worstCase    bool
	)
	cost := m.Cost()
	if r != nil && status >= 200 && status < 300 && r.settled.CompareAndSwap(false, true) {
		settling = true
		held = r.held.Swap(0)
		if cost.Present {
			charge = cost.Value
		} else {
			charge, worstCase = r.Credits, true
		}
	} else if cost.Present {
		charge = cost.Value
	}
	rem := m.CreditsRemaining
	if !settling && charge == 0 && !rem.Present {
		return
	}
	now := c.now()
	ctx = context.WithoutCancel(ctx)
	l, err := c.store.Update(ctx, func(l *Ledger) error {
		l.InFlight = max(0, l.InFlight-held)
		l.Spent += charge
		if l.BalanceKnown && !rem.Present {
			// No header to say what the balance is now: the charge is all
			// there is to go on.
			l.Balance -= charge
		}
		if rem.Present {
			// The header is the balance after this response's settlement,
			// which includes this charge and every charge settled before
			// it; responses settled later bring lower figures. So the
			// minimum is right whatever order responses arrive in.
			if !l.BalanceKnown || rem.Value < l.Balance {
				l.Balance = rem.Value
			}
			l.BalanceKnown = true
			l.BalanceAt = now
			l.BalanceSource = SourceHeader
		}
		return nil
	})
	op := operationOf(req, r)
	if err != nil {
		c.logger.LogAttrs(ctx, slog.LevelInfo, "budget: cannot record a response",
			slog.String("op", op), slog.Int64("charge", charge), slog.String("err", err.Error()))
		return
	}
	if worstCase {
		c.logger.LogAttrs(ctx, slog.LevelInfo, "budget: response carried no cost header; charged the reserved worst case",
			slog.String("op", op), slog.Int("status", status), slog.Int64("charge", charge), slog.String("requestId", m.RequestID))
	}
	if settling && charge > held && !worstCase {
		c.logger.LogAttrs(ctx, slog.LevelInfo, "budget: the API charged more than was reserved",
			slog.String("op", op), slog.Int64("reserved", held), slog.Int64("charge", charge), slog.String("requestId", m.RequestID))
	}
	if c.logger.Enabled(ctx, slog.LevelDebug) {
		c.logger.LogAttrs(ctx, slog.LevelDebug, "budget: response recorded",
			slog.String("op", op), slog.Int("status", status), slog.Bool("settled", settling),
			slog.Int64("released", held), slog.Int64("charge", charge), slog.String("remaining", rem.String()),
			slog.Int64("runSpent", l.Spent), slog.Int64("inFlight", l.InFlight))
	}
}

// ObserveWait implements runtime.Observer. A wait before a retry changes
// nothing: the reservation stays held until a response settles it or
// Finish releases it.
func (c *Controller) ObserveWait(ctx context.Context, req *runtime.Request, w runtime.Wait) {
	c.logger.LogAttrs(ctx, slog.LevelDebug, "budget: call waiting to retry; reservation kept",
		slog.String("op", operationOf(req, reservationFrom(ctx))), slog.String("reason", w.Reason), slog.Duration("delay", w.Delay))
}

func operationOf(req *runtime.Request, r *Reservation) string {
	if req != nil && req.Operation != "" {
		return req.Operation
	}
	if r != nil {
		return r.Operation
	}
	return ""
}

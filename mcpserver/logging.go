package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
	"github.com/tollgate-mcp/tollgate/tools"
)

// Log messages (notifications/message, logger "tollgate") tell a host
// what happens to a call while and after it runs, so that it can show
// its user: retry waits (warning), budget halts and declined spends
// (warning), API failures (error when retryable, warning otherwise),
// limits fitted to the budget (notice), the budget's 80% warning
// (warning), truncated results (info) and each paid call's cost (debug).
// The host chooses the level: logging/setLevel on 2025-11-25 (until then
// only errors are sent), the request's log level on 2026-07-28 (none
// unless it asks). A message carries the tool, the advice or the numbers;
// never a header, so never the API key.

// LoggerName is the logger of tollgate's log messages.
const LoggerName = "tollgate"

// callLog sends one tool call's retry waits as log messages.
type callLog struct {
	f    *face
	ctx  context.Context // the tool call's, which names its session
	tool string
}

func (l *callLog) ObserveResponse(context.Context, *runtime.Request, int, runtime.Metering) {}

func (l *callLog) ObserveWait(_ context.Context, r *runtime.Request, w runtime.Wait) {
	why := w.Reason
	if w.Status != 0 {
		why = fmt.Sprintf("%s (HTTP %d)", w.Reason, w.Status)
	}
	l.f.log(l.ctx, mcp.LoggingLevelWarning, map[string]any{
		"message": fmt.Sprintf("%s: %s; waiting %s before retry %d", l.tool, why, w.Delay.Round(10*time.Millisecond), w.Attempt),
		"event":   "retry_wait", "tool": l.tool, "operation": r.Operation,
		"reason": w.Reason, "httpStatus": w.Status, "attempt": w.Attempt, "waitSeconds": w.Delay.Seconds(),
	})
}

// logResult sends what a finished call's result says worth showing.
func (f *face) logResult(ctx context.Context, tool string, r *tools.Result) {
	if r.IsError {
		a := r.Advice
		if a == nil {
			return
		}
		level, event := mcp.LoggingLevelInfo, "tool_error"
		switch a.Source {
		case budget.SourceBudget:
			level, event = mcp.LoggingLevelWarning, "halt"
			if a.Code == tools.CodeSpendDeclined {
				event = "spend_declined"
			}
		case runtime.SourceAPI:
			level, event = mcp.LoggingLevelWarning, "api_error"
			if a.Retryable {
				level = mcp.LoggingLevelError
			}
		}
		f.log(ctx, level, map[string]any{
			"message": fmt.Sprintf("%s: %s: %s", tool, a.Code, a.Message),
			"event":   event, "tool": tool, "code": a.Code, "source": a.Source, "requestId": a.RequestID,
		})
		return
	}
	s, ok := r.Structured.(*tools.Success)
	if !ok {
		return
	}
	for _, n := range s.Notes {
		// A note is a limit fitted (to the budget or the approval
		// threshold) or the budget's warning.
		level, event := mcp.LoggingLevelWarning, "budget_warning"
		if strings.HasPrefix(n, "limit lowered") {
			level, event = mcp.LoggingLevelNotice, "fitted"
		}
		f.log(ctx, level, map[string]any{"message": tool + ": " + n, "event": event, "tool": tool})
	}
	if s.Truncated != nil {
		f.log(ctx, mcp.LoggingLevelInfo, map[string]any{"message": tool + ": " + s.Truncated.Note, "event": "truncated", "tool": tool})
	}
	if m := s.Metering; m != nil && m.Cost != nil {
		msg := fmt.Sprintf("%s: cost %d credits", tool, *m.Cost)
		if m.CreditsRemaining != nil {
			msg += fmt.Sprintf(", %d left in the workspace", *m.CreditsRemaining)
		}
		f.log(ctx, mcp.LoggingLevelDebug, map[string]any{"message": msg, "event": "call", "tool": tool,
			"cost": *m.Cost, "creditsRemaining": m.CreditsRemaining, "requestId": s.RequestID})
	}
}

// log sends one log message to the call's client, if its level is wanted.
func (f *face) log(ctx context.Context, level mcp.LoggingLevel, data map[string]any) {
	err := f.srv.SendLogMessageToClient(ctx, mcp.NewLoggingMessageNotification(level, LoggerName, data))
	if err != nil && !errors.Is(err, server.ErrNotificationNotInitialized) {
		f.o.Logger.Debug("log message not sent", "err", err)
	}
}

package mcpserver

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/tools"
)

// Spend approval by elicitation (Options.ConfirmAbove). The toolbox
// reserves a call's worst case and, above the threshold, asks a
// question's Approve before calling the API; this file asks the user, in
// the terms of the call's protocol revision:
//
//   - 2025-11-25: the server sends elicitation/create and waits for the
//     answer (at most Options.ConfirmTimeout) with the credits reserved.
//     The choices are allow once, allow for the rest of the session, and
//     decline. A decline, a dismissed question, no answer in time, or
//     the host going away ends the call with spend_declined and releases
//     the reservation; the call being cancelled releases it too.
//   - 2026-07-28: there are no sessions and no server-sent requests: the
//     call answers with an input-required result carrying the question
//     and a signed requestState, and releases its reservation; the client
//     asks the user and sends the call again with the answer, and the
//     call reserves anew and runs if the answer is a yes to that very
//     call (same tool and arguments, no more credits, within
//     Options.ConfirmTimeout). The choices are allow once and decline.
//
// A host that declares no form elicitation is never asked: its calls are
// fitted to the threshold instead (see tools.Approval).

// spendInputKey is the inputRequests key of the question.
const spendInputKey = "tollgate_spend_approval"

// Choices of the question.
const (
	choiceOnce    = "once"
	choiceSession = "session"
	choiceDecline = "decline"
)

// errAnswerPending ends a 2026-07-28 call whose answer must come with a
// retry; the handler turns it into an input-required result.
var errAnswerPending = errors.New("mcpserver: the spend question is sent with the result")

// approvals holds what questions share: the sessions that allowed every
// spend, and the key that signs request states.
type approvals struct {
	o   Options
	key []byte

	mu       sync.Mutex
	sessions map[string]bool
}

func newApprovals(o Options) *approvals {
	key := o.StateKey
	if len(key) == 0 {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			panic("mcpserver: no randomness for the request-state key: " + err.Error())
		}
	}
	return &approvals{o: o, key: key, sessions: map[string]bool{}}
}

// watch forgets a session's standing approval when it ends.
func (a *approvals) watch(hooks *server.Hooks) {
	hooks.AddOnUnregisterSession(func(_ context.Context, s server.ClientSession) {
		a.mu.Lock()
		delete(a.sessions, s.SessionID())
		a.mu.Unlock()
	})
}

// question is the spend question of one tools/call request.
type question struct {
	a      *approvals
	req    mcp.CallToolRequest
	modern bool
	// pending is set when a 2026-07-28 call must ask through its result.
	pending *tools.SpendQuestion
}

// forCall returns the approval rule of a call: with a question when the
// client can be asked, without one (calls are fitted) when it cannot.
func (a *approvals) forCall(ctx context.Context, req mcp.CallToolRequest) (tools.Approval, *question) {
	rule := tools.Approval{Above: a.o.ConfirmAbove}
	if !canElicit(ctx) {
		return rule, nil
	}
	q := &question{a: a, req: req, modern: server.IsModernRequest(ctx)}
	rule.Approver = q
	return rule, q
}

// canElicit reports whether the call's client can show the user a form:
// the capabilities of this request (2026-07-28) or of the session
// (2025-11-25), and a session able to send the question.
func canElicit(ctx context.Context) bool {
	var caps *mcp.ClientCapabilities
	if info := server.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
		caps = info.ClientCapabilities
	} else {
		s := server.ClientSessionFromContext(ctx)
		if _, ok := s.(server.SessionWithElicitation); !ok {
			return false
		}
		if ci, ok := s.(server.SessionWithClientInfo); ok {
			c := ci.GetClientCapabilities()
			caps = &c
		}
	}
	if caps == nil || caps.Elicitation == nil {
		return false
	}
	// An empty elicitation capability means form mode.
	e := caps.Elicitation
	return e.Form != nil || e.URL == nil
}

// Approve implements tools.Approver.
func (q *question) Approve(ctx context.Context, sq tools.SpendQuestion) error {
	if q.modern {
		return q.fromRetry(sq)
	}
	return q.ask(ctx, sq)
}

// ask sends elicitation/create and waits for the answer (2025-11-25).
func (q *question) ask(ctx context.Context, sq tools.SpendQuestion) error {
	sid := ""
	if s := server.ClientSessionFromContext(ctx); s != nil {
		sid = s.SessionID()
	}
	if q.a.allowed(sid) {
		return nil
	}
	srv := server.ServerFromContext(ctx)
	if srv == nil {
		return sq.Decline(tools.DeclinedNoAnswer, "no MCP server in the call's context")
	}
	actx, cancel := context.WithTimeout(ctx, q.a.o.ConfirmTimeout)
	defer cancel()
	res, err := srv.RequestElicitation(actx, mcp.ElicitationRequest{
		Request: mcp.Request{Method: string(mcp.MethodElicitationCreate)},
		Params:  elicitation(sq, sid != ""),
	})
	switch {
	case err == nil && res != nil:
		return q.answer(sq, res.ElicitationResponse, sid)
	case ctx.Err() != nil:
		return ctx.Err() // the call itself was cancelled
	case actx.Err() != nil:
		return sq.Decline(tools.DeclinedNoAnswer, fmt.Sprintf("none within %s", q.a.o.ConfirmTimeout))
	case err == nil:
		err = errors.New("an empty answer")
	}
	return sq.Decline(tools.DeclinedNoAnswer, "the question failed: "+err.Error())
}

// fromRetry reads the answer a 2026-07-28 retry carries, or asks for one.
func (q *question) fromRetry(sq tools.SpendQuestion) error {
	p := q.req.Params
	if r := server.ElicitationResponse(p.InputResponses, spendInputKey); r != nil && q.a.verify(p.RequestState, q.req, sq) {
		return q.answer(sq, r.ElicitationResponse, "")
	}
	// No answer yet, or one to another question (other arguments, more
	// credits, expired): ask.
	q.pending = &sq
	return errAnswerPending
}

// answer turns the user's answer into the call's fate. sid is the session
// an "allow for the rest of the session" applies to.
func (q *question) answer(sq tools.SpendQuestion, r mcp.ElicitationResponse, sid string) error {
	switch r.Action {
	case mcp.ElicitationResponseActionAccept:
		var c struct {
			Choice string `json:"choice"`
		}
		raw, _ := json.Marshal(r.Content)
		_ = json.Unmarshal(raw, &c)
		switch c.Choice {
		case choiceOnce:
			return nil
		case choiceSession:
			if sid == "" {
				return nil
			}
			q.a.mu.Lock()
			q.a.sessions[sid] = true
			q.a.mu.Unlock()
			return nil
		case choiceDecline:
			return sq.Decline(tools.DeclinedByUser, "")
		}
		return sq.Decline(tools.DeclinedDismissed, "the answer chose nothing")
	case mcp.ElicitationResponseActionDecline:
		return sq.Decline(tools.DeclinedByUser, "")
	}
	return sq.Decline(tools.DeclinedDismissed, "")
}

func (a *approvals) allowed(sid string) bool {
	if sid == "" {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sessions[sid]
}

// elicitation is the question about sq: a message naming the tool, the
// credits, what remains and the refill date, and one choice.
func elicitation(sq tools.SpendQuestion, withSession bool) mcp.ElicitationParams {
	choices := []any{
		map[string]any{"const": choiceOnce, "title": "Allow this call"},
	}
	if withSession {
		choices = append(choices, map[string]any{"const": choiceSession, "title": "Allow calls like this for the rest of the session"})
	}
	choices = append(choices, map[string]any{"const": choiceDecline, "title": "Decline"})
	return mcp.ElicitationParams{
		Mode:    mcp.ElicitationModeForm,
		Message: questionText(sq),
		RequestedSchema: map[string]any{
			"type": "object",
			"properties": map[string]any{
				"choice": map[string]any{"type": "string", "title": "Spend the credits?", "oneOf": choices},
			},
			"required": []string{"choice"},
		},
	}
}

func questionText(sq tools.SpendQuestion) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s may spend up to %d credits", sq.Tool, sq.Credits)
	if l, ok := sq.Arguments["limit"]; ok {
		fmt.Fprintf(&b, " (limit %v)", l)
	}
	fmt.Fprintf(&b, ", more than the %d a call may spend without your approval.", sq.Above)
	if st := sq.Budget; st != nil {
		if st.Available != budget.NoLimit {
			fmt.Fprintf(&b, " After it, tollgate may still spend %d credits", st.Available)
		} else {
			b.WriteString(" After it, nothing caps what tollgate may spend")
		}
		if st.RunCap != nil {
			fmt.Fprintf(&b, " (this run's cap is %d; %d spent)", *st.RunCap, st.RunSpent)
		}
		if st.CreditsRemaining != nil {
			fmt.Fprintf(&b, "; the workspace has %d credits", *st.CreditsRemaining)
		}
		if st.RefillAt != nil {
			fmt.Fprintf(&b, ", refilled on %s", st.RefillAt.UTC().Format("2006-01-02"))
		}
		b.WriteString(".")
	}
	if sq.SmallerLimit > 0 {
		fmt.Fprintf(&b, " (With limit %d or lower it would not ask.)", sq.SmallerLimit)
	}
	b.WriteString(" Allow it?")
	return b.String()
}

// inputRequired is the 2026-07-28 result that asks the question.
func (a *approvals) inputRequired(req mcp.CallToolRequest, sq tools.SpendQuestion) *mcp.CallToolResult {
	return server.NewInputRequestBuilder(a.seal(req, sq)).Elicit(spendInputKey, elicitation(sq, false)).ToolResult()
}

// spendState is what a 2026-07-28 question remembers through the client:
// which call it asked about and until when an answer counts. It is signed
// (HMAC-SHA256), since the client echoes it back and it decides a spend.
type spendState struct {
	Call    string `json:"call"`    // the tools/call name
	Tool    string `json:"tool"`    // the tool that spends (call_operation's operation)
	Args    string `json:"args"`    // digest of the call's arguments
	Credits int64  `json:"credits"` // the most the answer approves
	Expires int64  `json:"exp"`     // Unix seconds
}

func (a *approvals) seal(req mcp.CallToolRequest, sq tools.SpendQuestion) string {
	st := spendState{Call: req.Params.Name, Tool: sq.Tool, Args: argsDigest(req), Credits: sq.Credits,
		Expires: a.o.Now().Add(a.o.ConfirmTimeout).Unix()}
	payload, _ := json.Marshal(st)
	mac := hmac.New(sha256.New, a.key)
	mac.Write(payload)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(mac.Sum(nil))
}

// verify reports whether state is a live question of this server about
// this very call, covering sq's credits.
func (a *approvals) verify(state string, req mcp.CallToolRequest, sq tools.SpendQuestion) bool {
	p64, m64, ok := strings.Cut(state, ".")
	if !ok {
		return false
	}
	enc := base64.RawURLEncoding
	payload, err1 := enc.DecodeString(p64)
	sum, err2 := enc.DecodeString(m64)
	if err1 != nil || err2 != nil {
		return false
	}
	mac := hmac.New(sha256.New, a.key)
	mac.Write(payload)
	if !hmac.Equal(sum, mac.Sum(nil)) {
		return false
	}
	var st spendState
	if json.Unmarshal(payload, &st) != nil {
		return false
	}
	return st.Call == req.Params.Name && st.Tool == sq.Tool && st.Args == argsDigest(req) &&
		sq.Credits <= st.Credits && a.o.Now().Unix() < st.Expires
}

// argsDigest identifies a call's arguments (encoding/json sorts map keys).
func argsDigest(req mcp.CallToolRequest) string {
	raw, _ := json.Marshal(req.GetArguments())
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:16])
}

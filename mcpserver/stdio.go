package mcpserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// The stdio transport. mcp-go has one, but it cancels every call in
// flight when its input ends (so `printf '<initialize>\n<call>\n' |
// tollgate serve` answered "canceled"), answers requests the client
// cancelled, and keeps its session in a package variable (one per
// process). This one, per call of ServeStdio:
//   - at the end of in, stops reading, lets the calls in flight finish
//     and writes their answers, then returns (a pending spend question
//     gets no answer and is declined);
//   - after notifications/cancelled for a request, lets mcp-go cancel it
//     and writes no response for it, as MCP says;
//   - sends server requests (elicitation/create) and routes their
//     answers;
//   - answers initialize before reading on, so that requests piped in
//     behind it see the capabilities it declared, and serves every other
//     request on its own goroutine, so a long call, a question or a
//     subscriptions/listen stream never blocks the others.

// ServeStdio serves srv over newline-delimited JSON-RPC: requests on in,
// answers and notifications on out. It returns nil when in ends (after
// answering every call in flight), ctx.Err() when ctx ends first (calls
// in flight are cancelled, and their answers still written), or the error
// that stopped reading or writing. A read blocked on in when ctx ends is
// left behind; it returns when in is closed.
func ServeStdio(ctx context.Context, srv *server.MCPServer, in io.Reader, out io.Writer) error {
	c := &stdioConn{srv: srv, out: out, active: map[string]bool{}}
	c.sess = newStdioSession(c)
	if err := srv.RegisterSession(ctx, c.sess); err != nil {
		return fmt.Errorf("mcpserver: register the stdio session: %w", err)
	}
	defer srv.UnregisterSession(context.WithoutCancel(ctx), c.sess.id)

	reqCtx, cancelRequests := context.WithCancel(srv.WithContext(ctx, c.sess))
	defer cancelRequests()

	stopNotes, notesDone := make(chan struct{}), make(chan struct{})
	go c.writeNotifications(stopNotes, notesDone)

	lines, readErr, stopRead := make(chan []byte), make(chan error, 1), make(chan struct{})
	defer close(stopRead)
	go readLines(in, lines, readErr, stopRead)

	var err error
loop:
	for {
		select {
		case line := <-lines:
			c.dispatch(reqCtx, line)
		case e := <-readErr:
			if !errors.Is(e, io.EOF) {
				err = fmt.Errorf("mcpserver: reading stdin: %w", e)
			}
			break loop
		case <-ctx.Done():
			err = ctx.Err()
			break loop
		}
	}
	// No answer can come any more: questions waiting for one give up.
	close(c.sess.inputClosed)
	if ctx.Err() == nil {
		c.inflight.Wait()
	}
	cancelRequests() // subscriptions/listen streams end here
	c.all.Wait()
	close(stopNotes)
	<-notesDone
	if err == nil {
		err = c.writeErr()
	}
	return err
}

// readLines sends each non-empty line of in, then the error that ended it.
func readLines(in io.Reader, lines chan<- []byte, readErr chan<- error, stop <-chan struct{}) {
	// ReadBytes gathers a line longer than the buffer, so the buffer
	// only sets how much one read asks for: most messages are small.
	r := bufio.NewReaderSize(in, 16<<10)
	for {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			select {
			case lines <- line:
			case <-stop:
				return
			}
		}
		if err != nil {
			readErr <- err
			return
		}
	}
}

// stdioConn is one ServeStdio: its output, its session, its requests.
type stdioConn struct {
	srv  *server.MCPServer
	out  io.Writer
	sess *stdioSession

	wmu  sync.Mutex
	werr error

	inflight sync.WaitGroup // requests the end of input waits for
	all      sync.WaitGroup // every request goroutine

	amu    sync.Mutex
	active map[string]bool // id -> cancelled, for requests in flight
}

// envelope is what dispatch reads of a message.
type envelope struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params struct {
		RequestID json.RawMessage `json:"requestId"`
	} `json:"params"`
}

func (c *stdioConn) dispatch(ctx context.Context, line []byte) {
	var env envelope
	if err := json.Unmarshal(line, &env); err != nil {
		c.write(mcp.JSONRPCError{JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(nil),
			Error: mcp.NewJSONRPCErrorDetails(mcp.PARSE_ERROR, "Parse error: "+err.Error(), nil)})
		return
	}
	hasID := len(env.ID) > 0 && !bytes.Equal(env.ID, []byte("null"))
	switch {
	case env.Method == "" && hasID:
		// The client's answer to a request of ours.
		c.sess.deliver(idKey(env.ID), line)
	case !hasID:
		// A notification: mcp-go handles it (cancelling a request, for
		// notifications/cancelled) and answers nothing.
		if env.Method == string(mcp.MethodNotificationCancelled) {
			c.markCancelled(idKey(env.Params.RequestID))
		}
		if resp := c.handle(ctx, nil, line); resp != nil {
			c.write(resp)
		}
	case env.Method == string(mcp.MethodInitialize):
		// Answered before the next line is read: what it records (the
		// client's capabilities, the version) must hold for the requests
		// piped in behind it.
		if resp := c.handle(ctx, env.ID, line); resp != nil {
			c.write(resp)
		}
	default:
		key := idKey(env.ID)
		drain := env.Method != string(mcp.MethodSubscriptionsListen)
		c.amu.Lock()
		c.active[key] = false
		c.amu.Unlock()
		if drain {
			c.inflight.Add(1)
		}
		c.all.Add(1)
		go func() {
			defer c.all.Done()
			if drain {
				defer c.inflight.Done()
			}
			resp := c.handle(ctx, env.ID, line)
			c.amu.Lock()
			cancelled := c.active[key]
			delete(c.active, key)
			c.amu.Unlock()
			if resp != nil && !cancelled {
				c.write(resp)
			}
		}()
	}
}

// handle runs one message through mcp-go, answering a panic that escapes
// it with an internal error.
func (c *stdioConn) handle(ctx context.Context, id json.RawMessage, line []byte) (resp mcp.JSONRPCMessage) {
	defer func() {
		if p := recover(); p != nil {
			if id == nil {
				resp = nil
				return
			}
			var v any
			_ = json.Unmarshal(id, &v)
			resp = mcp.JSONRPCError{JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(v),
				Error: mcp.NewJSONRPCErrorDetails(mcp.INTERNAL_ERROR, fmt.Sprintf("internal error: %v", p), nil)}
		}
	}()
	return c.srv.HandleMessage(ctx, line)
}

// markCancelled records that the client cancelled request key: its
// response, if it comes, is not written.
func (c *stdioConn) markCancelled(key string) {
	c.amu.Lock()
	defer c.amu.Unlock()
	if _, ok := c.active[key]; ok {
		c.active[key] = true
	}
}

// write sends one message as one line; the first error is kept.
func (c *stdioConn) write(v any) {
	b, err := encodeMessage(v)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err == nil {
		_, err = c.out.Write(append(b, '\n'))
	}
	if err != nil && c.werr == nil {
		c.werr = err
	}
}

func (c *stdioConn) writeErr() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return fmt.Errorf("mcpserver: writing stdout: %w", c.werr)
	}
	return nil
}

// writeNotifications writes the session's notifications until stop, then
// what is left of them.
func (c *stdioConn) writeNotifications(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	for {
		select {
		case n := <-c.sess.notes:
			c.write(n)
		case <-stop:
			for {
				select {
				case n := <-c.sess.notes:
					c.write(n)
				default:
					return
				}
			}
		}
	}
}

// idKey is a JSON-RPC id in one canonical form (1 and 1.0 are one id).
func idKey(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// errInputClosed answers a server request once the client's input ended.
var errInputClosed = errors.New("the client's input ended, so no answer can come")

var stdioSessions atomic.Int64

// stdioSession is the one client of a ServeStdio. It implements the
// session interfaces mcp-go's handlers use: notifications, logging level,
// client info and capabilities, the negotiated version, and elicitation.
type stdioSession struct {
	id          string
	conn        *stdioConn
	notes       chan mcp.JSONRPCNotification
	inputClosed chan struct{}
	initialized atomic.Bool
	level       atomic.Value // mcp.LoggingLevel
	info        atomic.Value // mcp.Implementation
	caps        atomic.Value // mcp.ClientCapabilities
	version     atomic.Value // string

	nextID  atomic.Int64
	pmu     sync.Mutex
	pending map[string]chan []byte // our request's id -> its answer
}

var (
	_ server.ClientSession              = (*stdioSession)(nil)
	_ server.SessionWithLogging         = (*stdioSession)(nil)
	_ server.SessionWithClientInfo      = (*stdioSession)(nil)
	_ server.SessionWithElicitation     = (*stdioSession)(nil)
	_ server.SessionWithProtocolVersion = (*stdioSession)(nil)
)

func newStdioSession(c *stdioConn) *stdioSession {
	return &stdioSession{
		id:   "stdio-" + strconv.FormatInt(stdioSessions.Add(1), 10),
		conn: c, notes: make(chan mcp.JSONRPCNotification, 100),
		inputClosed: make(chan struct{}), pending: map[string]chan []byte{},
	}
}

func (s *stdioSession) SessionID() string { return s.id }

func (s *stdioSession) NotificationChannel() chan<- mcp.JSONRPCNotification { return s.notes }

// Initialize marks the session initialised, with mcp-go's default log
// level: errors only, until the client sets another.
func (s *stdioSession) Initialize() {
	if s.level.Load() == nil {
		s.level.Store(mcp.LoggingLevelError)
	}
	s.initialized.Store(true)
}

func (s *stdioSession) Initialized() bool { return s.initialized.Load() }

func (s *stdioSession) SetLogLevel(level mcp.LoggingLevel) { s.level.Store(level) }

func (s *stdioSession) GetLogLevel() mcp.LoggingLevel {
	if l, ok := s.level.Load().(mcp.LoggingLevel); ok {
		return l
	}
	return mcp.LoggingLevelError
}

func (s *stdioSession) GetClientInfo() mcp.Implementation {
	v, _ := s.info.Load().(mcp.Implementation)
	return v
}

func (s *stdioSession) SetClientInfo(v mcp.Implementation) { s.info.Store(v) }

func (s *stdioSession) GetClientCapabilities() mcp.ClientCapabilities {
	v, _ := s.caps.Load().(mcp.ClientCapabilities)
	return v
}

func (s *stdioSession) SetClientCapabilities(v mcp.ClientCapabilities) { s.caps.Store(v) }

// ProtocolVersion is the version initialize negotiated ("" before).
func (s *stdioSession) ProtocolVersion() string {
	v, _ := s.version.Load().(string)
	return v
}

// SetProtocolVersion records the version initialize negotiated.
func (s *stdioSession) SetProtocolVersion(v string) { s.version.Store(v) }

// RequestElicitation sends elicitation/create and waits for the client's
// answer, ctx or the end of the client's input. A request given up on is
// cancelled with notifications/cancelled.
func (s *stdioSession) RequestElicitation(ctx context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	select {
	case <-s.inputClosed:
		return nil, errInputClosed
	default:
	}
	id := s.nextID.Add(1)
	key := strconv.FormatInt(id, 10)
	answer := make(chan []byte, 1)
	s.pmu.Lock()
	s.pending[key] = answer
	s.pmu.Unlock()
	defer func() {
		s.pmu.Lock()
		delete(s.pending, key)
		s.pmu.Unlock()
	}()
	s.conn.write(map[string]any{"jsonrpc": mcp.JSONRPC_VERSION, "id": id,
		"method": string(mcp.MethodElicitationCreate), "params": req.Params})
	select {
	case line := <-answer:
		var resp struct {
			Result *mcp.ElicitationResult `json:"result"`
			Error  *struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(line, &resp); err != nil {
			return nil, fmt.Errorf("the answer to elicitation/create does not parse: %w", err)
		}
		if resp.Error != nil {
			return nil, fmt.Errorf("the client answered elicitation/create with error %d: %s", resp.Error.Code, resp.Error.Message)
		}
		if resp.Result == nil {
			return nil, errors.New("the client answered elicitation/create without a result")
		}
		return resp.Result, nil
	case <-ctx.Done():
		s.conn.write(mcp.JSONRPCNotification{JSONRPC: mcp.JSONRPC_VERSION, Notification: mcp.Notification{
			Method: string(mcp.MethodNotificationCancelled),
			Params: mcp.NotificationParams{AdditionalFields: map[string]any{"requestId": id, "reason": context.Cause(ctx).Error()}},
		}})
		return nil, ctx.Err()
	case <-s.inputClosed:
		return nil, errInputClosed
	}
}

// deliver routes the client's answer to our request key.
func (s *stdioSession) deliver(key string, line []byte) {
	s.pmu.Lock()
	ch, ok := s.pending[key]
	s.pmu.Unlock()
	if ok {
		select {
		case ch <- line:
		default:
		}
	}
}

package gateway

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/tollgate-mcp/tollgate/tools"
)

// Multi-round-trip requests (2026-07-28).
//
// A tool that needs an answer from the user (spend approval) returns an
// input-required result with an opaque requestState; the client retries
// the call with its answers and the state. Without sessions, nothing
// says the retry comes from the client that was asked. So the gateway
// seals every requestState it sends: it prefixes an expiry and an
// HMAC-SHA256 over the caller's token, the tool's name, the expiry and
// the state, under a key every instance shares (Config.Secret; with
// Redis, one kept there). A retry is honoured only with a seal made for
// the same caller and tool and not expired; the handler then sees the
// state it made, unsealed. A result that asks for input without a state
// of its own gets a sealed empty one, so that every retry is bound.

// roundTripTTL bounds how long a client may take to answer.
const roundTripTTL = 15 * time.Minute

const sealPrefix = "tg1."

// CodeRoundTripRefused is the advice code of a retried call whose
// requestState was not issued to the caller.
const CodeRoundTripRefused = "round_trip_refused"

type sealer struct {
	key []byte
	now func() time.Time
}

func newSealer(secret []byte, now func() time.Time) *sealer {
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
	}
	return &sealer{key: secret, now: now}
}

func (s *sealer) mac(c *Client, tool string, exp uint64, state string) []byte {
	m := hmac.New(sha256.New, s.key)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], exp)
	m.Write([]byte("tollgate request state\x00"))
	m.Write(c.digest[:])
	m.Write([]byte(tool))
	m.Write([]byte{0})
	m.Write(b[:])
	m.Write([]byte(state))
	return m.Sum(nil)
}

// derive is a key of its own for purpose, from the shared secret.
func (s *sealer) derive(purpose string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// seal binds state to the caller and the tool.
func (s *sealer) seal(c *Client, tool, state string) string {
	exp := uint64(s.now().Add(roundTripTTL).Unix())
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], exp)
	tag := append(b[:], s.mac(c, tool, exp, state)...)
	return sealPrefix + base64.RawURLEncoding.EncodeToString(tag) + "." + state
}

var errSeal = errors.New("this requestState was not issued to this client for this tool, or it expired")

// open checks a sealed state and returns what it seals.
func (s *sealer) open(c *Client, tool, sealed string) (string, error) {
	rest, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return "", errSeal
	}
	enc, state, ok := strings.Cut(rest, ".")
	if !ok {
		return "", errSeal
	}
	tag, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(tag) != 8+sha256.Size {
		return "", errSeal
	}
	exp := binary.BigEndian.Uint64(tag[:8])
	if !hmac.Equal(tag[8:], s.mac(c, tool, exp, state)) {
		return "", errSeal
	}
	if s.now().Unix() > int64(exp) {
		return "", errSeal
	}
	return state, nil
}

// bindRoundTrips is the tool middleware that seals and checks
// requestState.
func (g *Gateway) bindRoundTrips(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		c := callerFrom(ctx)
		name := req.Params.Name
		if req.Params.RequestState != "" || len(req.Params.InputResponses) > 0 {
			state, err := g.seals.open(c, name, req.Params.RequestState)
			if err != nil {
				g.log.LogAttrs(ctx, slogWarn, "refused a retried call whose requestState is not the caller's",
					clientAttr(c), toolAttr(name))
				return refusedRoundTrip(name), nil
			}
			req.Params.RequestState = state
		}
		res, err := next(ctx, req)
		if res != nil && res.NeedsInput() {
			res.RequestState = g.seals.seal(c, name, res.RequestState)
		}
		return res, err
	}
}

// refusedRoundTrip is the tool result of a refused retry: the advice
// object, as every tollgate failure.
func refusedRoundTrip(tool string) *mcp.CallToolResult {
	f := tools.Failure{Error: (&tools.ToolError{Code: CodeRoundTripRefused,
		Message: tool + ": " + errSeal.Error(),
		Action:  "Call the tool again without inputResponses or requestState, and answer the questions it asks you."}).Advice()}
	b, _ := json.Marshal(f)
	return &mcp.CallToolResult{
		Content:           []mcp.Content{mcp.NewTextContent(string(b))},
		StructuredContent: json.RawMessage(b),
		IsError:           true,
	}
}

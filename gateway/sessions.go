package gateway

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/server"
)

// Sessions (protocol revisions up to 2025-11-25).
//
// The gateway, not mcp-go, decides which session ids are good: it mints
// an id at initialize (128 random bits), records who opened it in a
// SessionStore, and checks every later request against that record
// before mcp-go sees it. An id the store does not hold (never issued,
// DELETEd, idle past its TTL) gets 404, and so does an id presented with
// another bearer token than the one that opened it: to the other client
// the session does not exist.
//
// Design: the session state lives in the store (Redis for a deployment
// of several instances), rather than in signed ids checked against a
// revocation list in Redis. Both cost one Redis round trip per request
// (a revocation list must be read on every request too), but state in
// the store fails closed: a Redis that lost its data or cannot be
// reached knows no session, so clients get 404 (or 503) and start a new
// one, where a lost revocation list would bring DELETEd sessions back to
// life. It needs no signing key shared by the instances, the record is
// where per-session state (the owner, the per-session cap's spend) is
// kept anyway, and an idle TTL on the key expires abandoned sessions by
// itself.

// ErrNoSession is the error of a session id the deployment does not
// hold (never issued, ended, or idle past its TTL).
var ErrNoSession = errors.New("gateway: no such session")

// A Session is what the gateway records about one MCP session.
type Session struct {
	// ID is the Mcp-Session-Id. Stores see only SessionKey(ID).
	ID string `json:"-"`
	// Client is the name of the client that opened it.
	Client string `json:"client"`
	// Owner is a fingerprint of the bearer token that opened it (not the
	// token, nor its plain SHA-256).
	Owner string `json:"owner"`
	// Created is when it was opened.
	Created time.Time `json:"created"`
}

// A SessionStore holds the session records of a deployment, by key
// (SessionKey of the id: a store never sees an id a client could
// present). Every instance of a deployment must use the same store
// (redisstore.Sessions) for a session opened on one to be honoured, or
// refused, alike on every other. Implementations must be safe for
// concurrent use.
type SessionStore interface {
	// Create records a new session. The record expires after ttl
	// without a Get.
	Create(ctx context.Context, key string, record []byte, ttl time.Duration) error
	// Get returns the record and renews its ttl; found is false when
	// there is none.
	Get(ctx context.Context, key string, ttl time.Duration) (record []byte, found bool, err error)
	// Delete removes the record; an unknown key is not an error.
	Delete(ctx context.Context, key string) error
}

// SessionKey is the key a store files the session with id under: the
// hex SHA-256 of the id.
func SessionKey(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:])
}

// newSessionID returns a session id: 128 random bits, URL-safe (the
// spec asks for visible ASCII and a cryptographically secure id).
func newSessionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "tg-" + base64.RawURLEncoding.EncodeToString(b[:])
}

// ownerOf fingerprints a token digest for a session record.
func ownerOf(digest [sha256.Size]byte) string {
	h := sha256.Sum256(append([]byte("tollgate session owner\x00"), digest[:]...))
	return hex.EncodeToString(h[:16])
}

// createSession records s.
func (g *Gateway) createSession(ctx context.Context, s Session) error {
	b, _ := json.Marshal(s)
	return g.sessions.Create(ctx, SessionKey(s.ID), b, g.cfg.SessionTTL)
}

// getSession reads the session with id: ErrNoSession when the store has
// none, or a record it cannot read.
func (g *Gateway) getSession(ctx context.Context, id string) (Session, error) {
	b, found, err := g.sessions.Get(ctx, SessionKey(id), g.cfg.SessionTTL)
	if err != nil {
		return Session{}, err
	}
	var s Session
	if !found || json.Unmarshal(b, &s) != nil {
		return Session{}, ErrNoSession
	}
	s.ID = id
	return s, nil
}

// NewMemorySessions returns a SessionStore in memory: the sessions of a
// single instance. now is the clock; nil means time.Now.
func NewMemorySessions(now func() time.Time) SessionStore {
	if now == nil {
		now = time.Now
	}
	return &memorySessions{now: now, m: map[string]memorySession{}}
}

type memorySession struct {
	rec     []byte
	expires time.Time
}

type memorySessions struct {
	now   func() time.Time
	mu    sync.Mutex
	m     map[string]memorySession
	swept int // size after the last sweep
}

func (m *memorySessions) Create(_ context.Context, key string, rec []byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if len(m.m) >= 2*m.swept+64 {
		for k, v := range m.m {
			if !now.Before(v.expires) {
				delete(m.m, k)
			}
		}
		m.swept = len(m.m)
	}
	m.m[key] = memorySession{rec: rec, expires: now.Add(ttl)}
	return nil
}

func (m *memorySessions) Get(_ context.Context, key string, ttl time.Duration) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[key]
	now := m.now()
	if !ok || !now.Before(v.expires) {
		delete(m.m, key)
		return nil, false, nil
	}
	v.expires = now.Add(ttl)
	m.m[key] = v
	return v.rec, true, nil
}

func (m *memorySessions) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, key)
	return nil
}

// sessionIDs hands mcp-go the gateway's decisions: Generate returns the
// id the gateway minted for this initialize, Validate accepts only the
// id the gateway checked for this request, Terminate does nothing (the
// gateway ended the session in the store already).
type sessionIDs struct{}

type sessionCtxKey struct{}

// sessionCheck is what the gateway decided about a request's session.
type sessionCheck struct {
	minted  string // the id issued by this initialize
	checked string // the id checked against the store
}

func withSessionCheck(ctx context.Context, c sessionCheck) context.Context {
	return context.WithValue(ctx, sessionCtxKey{}, c)
}

func (sessionIDs) ResolveSessionIdManager(r *http.Request) server.SessionIdManager {
	if r == nil {
		return sessionManager{}
	}
	c, _ := r.Context().Value(sessionCtxKey{}).(sessionCheck)
	return sessionManager(c)
}

type sessionManager sessionCheck

var errUnchecked = errors.New("gateway: session id not checked")

func (m sessionManager) Generate() string { return m.minted }

func (m sessionManager) Validate(id string) (bool, error) {
	if id == "" || id != m.checked {
		return false, errUnchecked
	}
	return false, nil
}

func (m sessionManager) Terminate(string) (bool, error) { return false, nil }

package redisstore

import (
	"context"
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/runtime"
)

// The gateway's state shared by the instances of one deployment: session
// records (Sessions), events between instances (Peers), the key that
// seals multi-round-trip state (SharedSecret) and the sessions' budgets
// (SessionBudgets). Every key starts with the
// prefix given, e.g. "tollgate:gateway:<budget name>:", so that two
// deployments can share one Redis. This file does not import package
// gateway: the records are the gateway's bytes.

// DefaultGatewayPrefix starts the gateway's keys when no prefix is given.
const DefaultGatewayPrefix = "tollgate:gateway:"

// Sessions keeps the gateway's session records in Redis, one string key
// per session with the session's idle TTL as its expiry. Each call is
// one round trip: SET NX EX to create, GETEX to read and renew, DEL to
// end. A Redis that lost its data knows no session: clients are told
// 404 and open new ones (fail closed).
type Sessions struct {
	client redis.UniversalClient
	prefix string
}

// NewSessions returns the session store under prefix ("" means
// DefaultGatewayPrefix). It does not own client.
func NewSessions(client redis.UniversalClient, prefix string) *Sessions {
	if prefix == "" {
		prefix = DefaultGatewayPrefix
	}
	return &Sessions{client: client, prefix: prefix + "session:"}
}

// Create implements gateway.SessionStore.
func (s *Sessions) Create(ctx context.Context, key string, record []byte, ttl time.Duration) error {
	ok, err := s.client.SetNX(ctx, s.prefix+key, record, ttl).Result()
	if err != nil {
		return fmt.Errorf("redisstore: recording a session: %w", err)
	}
	if !ok {
		return errors.New("redisstore: a session with this key exists already")
	}
	return nil
}

// Get implements gateway.SessionStore.
func (s *Sessions) Get(ctx context.Context, key string, ttl time.Duration) ([]byte, bool, error) {
	b, err := s.client.GetEx(ctx, s.prefix+key, ttl).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("redisstore: reading a session: %w", err)
	}
	return b, true, nil
}

// Delete implements gateway.SessionStore.
func (s *Sessions) Delete(ctx context.Context, key string) error {
	if err := s.client.Del(ctx, s.prefix+key).Err(); err != nil {
		return fmt.Errorf("redisstore: ending a session: %w", err)
	}
	return nil
}

// Ping reports whether Redis answers (gateway's /readyz).
func (s *Sessions) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis does not answer: %w", err)
	}
	return nil
}

// Peers carries the gateway's events between instances over Redis
// pub/sub (one channel per deployment). Delivery is at most once: an
// instance that is cut off from Redis misses what was published
// meanwhile, as a cancellation may be missed anyway.
type Peers struct {
	client  redis.UniversalClient
	channel string
}

// NewPeers returns the event channel under prefix ("" means
// DefaultGatewayPrefix). It does not own client.
func NewPeers(client redis.UniversalClient, prefix string) *Peers {
	if prefix == "" {
		prefix = DefaultGatewayPrefix
	}
	return &Peers{client: client, channel: prefix + "events"}
}

// Publish implements gateway.Peers.
func (p *Peers) Publish(ctx context.Context, msg []byte) error {
	if err := p.client.Publish(ctx, p.channel, msg).Err(); err != nil {
		return fmt.Errorf("redisstore: publishing to the other instances: %w", err)
	}
	return nil
}

// Subscribe implements gateway.Peers: it returns once Redis confirmed
// the subscription. go-redis resubscribes by itself after a lost
// connection.
func (p *Peers) Subscribe(ctx context.Context, fn func(msg []byte)) (<-chan struct{}, error) {
	ps := p.client.Subscribe(ctx, p.channel)
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := ps.Receive(rctx); err != nil {
		_ = ps.Close()
		return nil, fmt.Errorf("redisstore: subscribing to %s: %w", p.channel, err)
	}
	done := make(chan struct{})
	ch := ps.Channel()
	go func() {
		defer close(done)
		defer ps.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case m, ok := <-ch:
				if !ok {
					return
				}
				fn([]byte(m.Payload))
			}
		}
	}()
	return done, nil
}

// SharedSecret returns the 32-byte secret under prefix+"secret",
// creating it at random if no instance has yet: the key every instance
// of a deployment seals multi-round-trip state with.
func SharedSecret(ctx context.Context, client redis.UniversalClient, prefix string) ([]byte, error) {
	if prefix == "" {
		prefix = DefaultGatewayPrefix
	}
	key := prefix + "secret"
	b := make([]byte, 32)
	_, _ = crand.Read(b)
	if err := client.SetNX(ctx, key, b, 0).Err(); err != nil {
		return nil, fmt.Errorf("redisstore: creating the gateway's shared secret: %w", err)
	}
	got, err := client.Get(ctx, key).Bytes()
	if err != nil {
		return nil, fmt.Errorf("redisstore: reading the gateway's shared secret: %w", err)
	}
	if len(got) < 16 {
		return nil, fmt.Errorf("redisstore: the gateway's shared secret at %s is too short; delete the key", key)
	}
	return got, nil
}

// SessionBudgets returns the budget stores of the gateway's sessions
// (--max-credits-per-session) in Redis, one key per session under
// prefix, expiring ttl after its last update, like the session itself.
// Each write is an optimistic transaction on that one key (WATCH, GET,
// MULTI, SET EX, EXEC, tried again after a conflict). There are no
// leases: credits held by an instance that dies mid-call stay counted
// against that session until it expires, never against anyone else.
func SessionBudgets(client redis.UniversalClient, prefix string, ttl time.Duration) func(sessionKey string) budget.Store {
	if prefix == "" {
		prefix = DefaultGatewayPrefix
	}
	return func(sessionKey string) budget.Store {
		return &ledgerKey{client: client, key: prefix + "session-budget:" + sessionKey, ttl: ttl}
	}
}

// ledgerKey is a budget.Store in one Redis key with an expiry.
type ledgerKey struct {
	client redis.UniversalClient
	key    string
	ttl    time.Duration
}

// maxTxAttempts bounds the retries of an Update under contention.
const maxTxAttempts = 50

func (s *ledgerKey) get(ctx context.Context, g interface {
	Get(context.Context, string) *redis.StringCmd
}) (budget.Ledger, error) {
	var l budget.Ledger
	b, err := g.Get(ctx, s.key).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return l, nil
	case err != nil:
		return l, fmt.Errorf("redisstore: reading a session's budget: %w", err)
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return l, fmt.Errorf("redisstore: a session's budget at %s is not a ledger: %w", s.key, err)
	}
	return l, nil
}

// Load implements budget.Store.
func (s *ledgerKey) Load(ctx context.Context) (budget.Ledger, error) { return s.get(ctx, s.client) }

// Reserve implements budget.Store.
func (s *ledgerKey) Reserve(ctx context.Context, h budget.Hold) (budget.Ledger, int64, error) {
	var held int64
	l, err := s.update(ctx, func(l *budget.Ledger) { held = l.Reserve(h) })
	return l, held, err
}

// Settle implements budget.Store. A settlement written twice (retried
// after a timeout whose outcome was unknown) counts twice: the session's
// spend errs high, never low.
func (s *ledgerKey) Settle(ctx context.Context, st budget.Settlement) (budget.Ledger, error) {
	return s.update(ctx, func(l *budget.Ledger) { l.Settle(st) })
}

// Record implements budget.Store.
func (s *ledgerKey) Record(ctx context.Context, f budget.Fact) (budget.Ledger, error) {
	return s.update(ctx, func(l *budget.Ledger) { l.Record(f) })
}

// update applies fn to the ledger in an optimistic transaction.
func (s *ledgerKey) update(ctx context.Context, fn func(*budget.Ledger)) (budget.Ledger, error) {
	var out budget.Ledger
	for attempt := range maxTxAttempts {
		if attempt > 0 {
			// Contenders spread out: up to 1 ms doubling to 32 ms.
			d := time.Millisecond << min(attempt-1, 5)
			if err := runtime.SystemClock().Sleep(ctx, d/2+rand.N(d/2+1)); err != nil {
				return out, fmt.Errorf("redisstore: a session's budget: %w", err)
			}
		}
		err := s.client.Watch(ctx, func(tx *redis.Tx) error {
			l, err := s.get(ctx, tx)
			if err != nil {
				return err
			}
			fn(&l)
			b, err := json.Marshal(l)
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, s.key, b, s.ttl)
				return nil
			})
			out = l
			return err
		}, s.key)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		return out, err
	}
	return out, fmt.Errorf("redisstore: a session's budget kept changing under %d attempts", maxTxAttempts)
}

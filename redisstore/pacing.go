package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate-mcp/tollgate/runtime"
)

// Defaults of PacingOptions.
const (
	// DefaultPacingPrefix starts the key of every shared pacing state.
	DefaultPacingPrefix = "tollgate:pacing:"
	// DefaultPacingTTL is how long a pacing state outlives its last
	// update; an idle key then starts afresh and learns the rate again.
	DefaultPacingTTL = 10 * time.Minute
	// DefaultPacingAttempts is how many times Update runs its transaction
	// before giving up under contention.
	DefaultPacingAttempts = 50
)

// ErrInvalidPacingName is wrapped by NewPacing's error for a name it
// cannot use.
var ErrInvalidPacingName = errors.New("redisstore: invalid pacing name")

// PacingOptions configures a Pacing. Zero values mean the defaults.
type PacingOptions struct {
	// Prefix starts the key; "" means DefaultPacingPrefix.
	Prefix string
	// TTL is how long the state outlives its last update; 0 means
	// DefaultPacingTTL.
	TTL time.Duration
	// MaxAttempts bounds the optimistic transaction's retries; 0 means
	// DefaultPacingAttempts.
	MaxAttempts int
}

// Pacing is a runtime.PacingState kept in Redis, so that every process
// calling the API with one key (parallel batch jobs, the MCP servers of
// a team) paces by one view of the server's rate limit: one learnt rate
// and bucket size, one bucket mirror from which every request takes its
// turn, and one wake-up time after a 429. Together they then stay under
// the server's rate instead of each pacing as if it were alone.
//
// The runtime.Pace is one JSON value under Key(), written with a TTL.
// Update is an optimistic transaction: WATCH, GET, run fn on the decoded
// value, MULTI, SET, EXEC; when another process wrote in between, EXEC
// fails and the whole is tried again after a short jittered pause, so fn
// may run more than once. The updates of one Pacing run one at a time, so
// only processes contend. The times in the state are the processes' own
// clocks: processes on different machines need synchronised clocks
// (NTP), as they do for the budget's leases.
//
// Give every process that uses the same API key the same Redis and the
// same name (and not the API key itself: the name is stored in clear).
type Pacing struct {
	client redis.UniversalClient
	key    string
	ttl    time.Duration
	tries  int
	mu     sync.Mutex
}

var _ runtime.PacingState = (*Pacing)(nil)

// NewPacing returns the shared pacing state called name, through client.
// It makes no request; a Redis that cannot be reached shows in Update
// (runtime.Client then paces the process alone and logs it). Closing
// client is the caller's business.
func NewPacing(client redis.UniversalClient, name string, opts PacingOptions) (*Pacing, error) {
	if client == nil {
		return nil, errors.New("redisstore: NewPacing needs a Redis client")
	}
	switch {
	case name == "":
		return nil, fmt.Errorf("%w: it is empty; name the API key's pacing, e.g. the budget's name", ErrInvalidPacingName)
	case len(name) > 200:
		return nil, fmt.Errorf("%w: it is %d bytes long; at most 200 are allowed", ErrInvalidPacingName, len(name))
	case strings.ContainsAny(name, "{} \t\r\n"):
		return nil, fmt.Errorf("%w %q: it must not contain braces or spaces", ErrInvalidPacingName, name)
	}
	prefix := opts.Prefix
	if prefix == "" {
		prefix = DefaultPacingPrefix
	}
	ttl := opts.TTL
	if ttl <= 0 {
		ttl = DefaultPacingTTL
	}
	tries := opts.MaxAttempts
	if tries <= 0 {
		tries = DefaultPacingAttempts
	}
	return &Pacing{client: client, key: prefix + name, ttl: ttl, tries: tries}, nil
}

// Key returns the Redis key that holds the state.
func (s *Pacing) Key() string { return s.key }

// Update implements runtime.PacingState.
func (s *Pacing) Update(ctx context.Context, fn func(*runtime.Pace)) (runtime.Pace, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for attempt := 1; ; attempt++ {
		var committed runtime.Pace
		err := s.client.Watch(ctx, func(tx *redis.Tx) error {
			var p runtime.Pace
			raw, err := tx.Get(ctx, s.key).Bytes()
			switch {
			case errors.Is(err, redis.Nil):
			case err != nil:
				return err
			default:
				if err := json.Unmarshal(raw, &p); err != nil {
					// A state no process can read is replaced, not fatal:
					// pacing starts afresh and learns again.
					p = runtime.Pace{}
				}
			}
			fn(&p)
			data, err := json.Marshal(&p)
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
				pipe.Set(ctx, s.key, data, s.ttl)
				return nil
			})
			committed = p
			return err
		}, s.key)
		switch {
		case err == nil:
			return committed, nil
		case !errors.Is(err, redis.TxFailedErr):
			return runtime.Pace{}, fmt.Errorf("redisstore: updating the pacing state %s: %w", s.key, err)
		case attempt >= s.tries:
			return runtime.Pace{}, fmt.Errorf("redisstore: updating the pacing state %s: still contended after %d attempts: %w", s.key, attempt, err)
		}
		pause := time.Duration(rand.Int64N(int64(time.Millisecond) * int64(min(attempt, 10))))
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return runtime.Pace{}, ctx.Err()
		case <-t.C:
		}
	}
}

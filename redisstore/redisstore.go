// Package redisstore keeps tollgate's shared state in Redis, so that many
// processes (parallel batch jobs, the MCP servers of a team) act as one:
// a credit budget shared by all of them (Budget, a budget.Store), and
// more stores of the same kind, one file per concern. Only programs that
// share state import it; the rest of tollgate never compiles go-redis.
//
// # Connecting
//
// Dial turns a redis://, rediss:// or unix:// URL into a client with
// tollgate's timeouts (and errors that never repeat the URL's password);
// the stores also accept a redis.UniversalClient a program already runs
// (a single server, Sentinel or Cluster: every key of one budget carries
// the same hash tag, so it lives on one node).
//
// # The shared budget and its faults
//
// A Budget keeps the ledger of one budget in Redis. Every operation is
// one Lua script, so a reservation is one round trip and its settlement
// another, atomic without locks and without serialising a process's
// calls. Each process holds its reservations under a lease that a
// heartbeat renews; what a process holds when its lease runs out (it was
// killed, or cut off) is counted as spent by the group, since its calls
// may have cost that much, and given back if the process settles them
// after all.
//
// The cap holds when Redis fails, at the price of halting paid calls
// while the budget cannot be known:
//
//   - Redis down, paused, or slower than Options.Timeout: paid calls halt
//     at once with budget.CodeStoreUnavailable; free calls go on. A
//     settlement that cannot be written is kept in memory and written,
//     in order, when Redis answers again (the heartbeat retries it), and
//     no reservation is made while one is waiting, so the queue is
//     bounded by the calls in flight when Redis went away. Until then
//     its reservation stays counted in the shared ledger. A process that
//     exits with settlements unwritten says so (Close returns an
//     *UnrecordedError).
//   - Redis restarted without its data, or from an old snapshot: every
//     ledger has a random epoch and a generation that every write
//     raises, and every process remembers the ones it last saw, so a
//     missing or older ledger is detected by the next operation or
//     heartbeat of any live process. It is rebuilt from what the live
//     processes know rather than failed closed for good: the first to
//     notice starts a new epoch from the highest spend it saw, and every
//     other raises it to the highest spend it saw, brings back the
//     reservations it holds, and writes the settlements it kept. A new
//     ledger (rebuilt, or for a budget name never used) takes no
//     reservation for two heartbeats (Options.LeaseTTL/3, at most a
//     second each), so that every live process has rejoined before
//     anything is spent. What cannot be recovered is spend that no live
//     process saw: calls settled, since the last answer another process
//     got, by a process that has exited since. Failing closed for good
//     instead would stop every paid call of the group until an operator
//     acted; the rebuild keeps the cap for every process that is still
//     running, which is every process that can still spend.
//
// Redis with persistence (appendonly yes) keeps the ledger through a
// restart, and nothing needs rebuilding.
package redisstore

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	// go-redis is the Go client maintained by the Redis project itself:
	// connection pooling, RESP2/3, TLS and ACL auth, redis:// URLs,
	// scripts with EVALSHA, and one UniversalClient interface over a
	// single server, Sentinel and Cluster.
	"github.com/redis/go-redis/v9"
)

// DefaultPrefix starts every key tollgate writes.
const DefaultPrefix = "tollgate:"

// DefaultTimeout bounds one operation on Redis: a paid call waits at most
// this long on a Redis that does not answer before it halts.
const DefaultTimeout = 2 * time.Second

// ErrClosed is returned by the methods of a closed store.
var ErrClosed = errors.New("redisstore: the store is closed")

// ErrInvalidName is wrapped by the error of a constructor given a name it
// cannot use.
var ErrInvalidName = errors.New("redisstore: invalid name")

// Dial returns a client for the Redis at rawURL:
// redis://[user:password@]host[:port][/db], rediss://... for TLS, or
// unix:///path (see redis.ParseURL for the options a URL may carry). It
// does not connect: a Redis that is down shows in the first operation,
// so a program that shares state can start while Redis is away. timeout
// bounds each command (0 means DefaultTimeout); go-redis's own retries
// are off, since the stores retry what is safe to retry themselves.
// Errors never repeat the URL's password.
func Dial(rawURL string, timeout time.Duration) (*redis.Client, error) {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the whole URL, password included
		}
		return nil, fmt.Errorf("redisstore: invalid Redis URL %s: %v (want redis://[user:password@]host[:port][/db], rediss://... or unix:///path)", Redact(rawURL), err)
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	opts.DialTimeout = timeout
	opts.ReadTimeout = timeout
	opts.WriteTimeout = timeout
	opts.ContextTimeoutEnabled = true
	opts.MaxRetries = -1
	return redis.NewClient(opts), nil
}

// Redact returns rawURL with any password replaced by "xxxxx".
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		if strings.Contains(rawURL, "@") {
			return "(an unparsable URL)"
		}
		return strconv.Quote(rawURL)
	}
	return u.Redacted()
}

// validName checks the name of a shared object: it becomes a Redis
// Cluster hash tag.
func validName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: it is empty; name what processes share, e.g. \"nightly-batch\"", ErrInvalidName)
	case len(name) > 200:
		return fmt.Errorf("%w: it is %d bytes long; at most 200 are allowed", ErrInvalidName, len(name))
	case strings.ContainsAny(name, "{}"):
		return fmt.Errorf("%w %q: it must not contain '{' or '}'", ErrInvalidName, name)
	case strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0:
		return fmt.Errorf("%w %q: it must not contain spaces or control characters", ErrInvalidName, name)
	}
	return nil
}

// validPrefix checks a key prefix.
func validPrefix(p string) error {
	if strings.ContainsAny(p, "{}") {
		return fmt.Errorf("redisstore: invalid key prefix %q: it must not contain '{' or '}'", p)
	}
	return nil
}

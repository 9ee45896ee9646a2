// Package sandbox is a faithful, local simulator of the TrendTrack Public
// API, served over real HTTP. Every tollgate test, demo and benchmark runs
// against it, so it follows the reference (reference/trendtrack-api.md, the
// public reference pages and the error guide) rather than what would be
// convenient for a client.
//
// A Server is an http.Handler. Mount it with httptest.NewServer in tests or
// with http.ListenAndServe for demos; point a client at the URL and use
// DemoKey (or a key from NewWorkspace) as the bearer token.
//
// # The API as data
//
// The sandbox serves exactly the operations of the table in package
// internal/apispec (about 120: every path of the reference's §6.2), and
// /v1/openapi.json is rendered from the same table. Routing, validation
// (types, enums, bounds, defaults, deprecated aliases, exactly-one and
// at-most-one rules, confirm), access, reservation and settlement are
// generic over the table; each operation only has a small handler that
// returns its rows, item or series, which a generic envelope pages
// (page-based or offset-based, as the table says) and wraps. The answers
// are apispec's Go types, whose schemas the document is derived from.
//
// # What it simulates
//
//   - Auth: "Authorization: Bearer tt_live_…" on every route except /v1,
//     /v1/health, /v1/openapi.json and /v1/docs, with every documented auth
//     failure reachable through a constant key (KeyDeleted, KeyRevoked, …).
//   - Workspaces, each with its own credit balance, brandtrackers, folders,
//     favorites and share links; credentials with access level full_access
//     or delegated_user.
//   - Credits: free and metered operations, reservation before a metered
//     call and settlement after it, the X-Usage-Cost / X-Credits-* headers,
//     the full /v1/usage body and the monthly refill of recurring credits.
//   - Rate limits: a token bucket per key, 429 rate_limited with
//     Retry-After, and rate-limit headers in the spelling RateLimit.Headers
//     chooses.
//   - Data freshness: GET /v1/system/freshness and a data set as of the
//     latest ready snapshot date, both driven by Config.Now.
//   - Faults: random (Faults, from the seed) and scripted (Inject) 500s,
//     429s, proxy HTML pages, dropped connections and broken bodies.
//   - A deterministic synthetic data set (ads, advertisers, shops, emails,
//     TikTok and Google ads, facets) derived from Config.Seed.
//
// # Order of processing
//
// A request is handled in this order; the first step that answers wins:
//
//  1. Routing on the escaped path: unknown route 404 not_found, known path
//     with another method 405 method_not_allowed (both without auth).
//  2. Faults (scripted first, then random), only on routes that need auth.
//     A fault therefore never authenticates, rate-limits or charges.
//  3. Authentication (401/403 auth codes).
//  4. Rate limiting per key (429 rate_limited).
//  5. Authorization of workspace writes (403 forbidden for delegated_user
//     keys).
//  6. Validation of query string and JSON body (400 validation_error).
//  7. The favorites scope rule (403 forbidden): scope=personal needs a
//     delegated_user key; a write with scope=workspace needs full_access.
//  8. Credit reservation on metered routes (402 insufficient_credits).
//  9. Injected latency, the handler (404 not_found for unknown ids, 403 for
//     an exhausted quota), and settlement.
//
// # Credits: reservation and settlement
//
// Each operation's cost model and upper bound are in the table
// (apispec.Cost) and in its description in the document:
//
//   - free: shell routes (/v1, /v1/health, /v1/openapi.json, /v1/docs,
//     /v1/me, /v1/workspace, /v1/usage, /v1/system/freshness), both lookups,
//     brandtracker create and delete, workspace-link deletes, and every
//     favorites write and share link;
//   - per row: 1 credit per row of data, bounded by limit (at most 100),
//     or, for answers of a size the API fixes (folders, media mix,
//     demography, Google networks, a testing batch), by that size;
//   - per item: 1 credit for a detail found (0 when not found);
//   - per series: 1 credit per time series (evolution, time-series);
//   - fixed: a set charge per successful call: 1 for the reach history and
//     the socials history (one series each), 1 for each brandtracker folder
//     mutation (create, rename or move, delete, workspace-link move), as
//     the reference says these are metered.
//
// The reference leaves the reservation rule open; the sandbox is strict.
// Before a metered call it reserves the worst case (apispec's
// Operation.Reservation: the request's limit, its default when absent, or
// the fixed bound) against the workspace's available balance: recurring
// remaining plus top-up balance, minus every reservation still held by
// other in-flight calls. If that does not cover the reservation the answer
// is 402 insufficient_credits, with no metering headers. The reservation is
// held across the handler, injected latency included, so concurrent calls
// can never overdraw. After the handler the call is settled: what the
// answer holds is charged, recurring credits first, then top-up, and the
// rest is released. A 404, an empty page, or a page past the end costs 0.
//
// Successful metered responses carry X-Usage-Cost and X-Credits-Used (the
// same value), X-Credits-Remaining (recurring + top-up after settlement)
// and X-Credits-Source: "recurring", "topup", or "hybrid" when one charge
// drew on both ("recurring" for a zero charge). /v1/usage sends
// X-Usage-Cost: 0, X-Credits-Used: 0 and X-Credits-Remaining. Free routes
// and error responses send no metering headers.
//
// Recurring credits refill at the start of each calendar month (UTC, from
// Config.Now): /v1/usage reports billing.currentPeriodStart and
// currentPeriodEnd, and the first request in a new month resets the
// recurring balance to its limit. Top-up credits never expire.
//
// # Data freshness
//
// The data of day D becomes ready at DataReadyHour (06:00) UTC on day D+1.
// At any time the latest ready date is LatestReadyDate(now); GET
// /v1/system/freshness answers it as latestReadyDate, today (UTC) as
// latestScheduledDate, their distance in days as dataFreshnessLagDays (1
// from 06:00 UTC, 2 before), and now as generatedAt. Every other answer
// reflects that same day: the data set is rebuilt for each ready date, its
// dates ending with it (an active ad was last seen at the end of the latest
// ready day), while its ids and figures stay the same. So answers change
// exactly at NextDataRefresh(now), and a test moves the injected clock past
// it to see a rollover.
//
// # Rate-limit headers
//
// Every answer to a route that needs auth (429s included) carries, unless
// rate limiting is disabled, the headers RateLimit.Headers spells:
//
//   - HeadersXRateLimit (default): X-RateLimit-Limit is the bucket size
//     (burst), X-RateLimit-Remaining the whole requests left in it after
//     this one, X-RateLimit-Reset the whole seconds (rounded up) until it
//     is full again.
//   - HeadersIETF: RateLimit-Policy: "default";q=<bucket size>;w=<whole
//     seconds to refill it from empty> and RateLimit:
//     "default";r=<whole requests left>;t=<whole seconds until full>.
//   - HeadersNone: neither.
//
// A 429 always carries Retry-After: the whole seconds, rounded up and at
// least 1, until the bucket holds one request again.
//
// # Choices where the reference is silent
//
//   - 400 uses code validation_error and 404 uses not_found (the real codes
//     are unpublished); a wrong method gets 405 method_not_allowed with an
//     Allow header. Unknown routes answer 404 before authentication.
//   - The key format is tt_live_ followed by at least 16 ASCII letters or
//     digits; anything else, a non-Bearer scheme or an x-api-key header is
//     invalid_api_key. The "Bearer" scheme name is case-insensitive.
//   - Unknown query parameters and unknown JSON body properties are ignored.
//     A scalar query parameter given twice is a validation error. Array
//     query parameters accept repeated keys and comma-separated values.
//   - A non-empty body must be a JSON object sent with Content-Type
//     application/json; an empty body counts as {}. DELETE and PATCH read
//     a body where the table lists one.
//   - limit is at least 1; its default and maximum are the table's: 25 on
//     the ads searches, advertiser ads, brandtrackers and favorites (as the
//     reference pages show), 20 on advertisers and where nothing is
//     stated, 32 on shops, 100 on snapshots, 365 days on the reach history.
//     page starts at 1, offset at 0.
//   - Sending search and its deprecated alias query together is a
//     validation error on query-string.query; query alone works as search.
//   - GET /v1/system/freshness needs a key (it is free), so faults and rate
//     limits reach it like any other call.
//   - A brandtracker that was deleted (marked inactive) answers 404 to GET
//     and DELETE and is left out of lists; creating it again reactivates it
//     (201, created:true). Creating an active one again is 200,
//     created:false, and costs nothing. Without sortBy, lists keep the
//     workspace's order (the order brandtrackers were added).
//   - Brandtracker folder ids and workspace link ids are integers, favorites
//     folder ids UUIDs (as the reference pages show). A workspace holds at
//     most 100 brandtracker folders, a scope at most 100 favorites folders
//     of a kind; creating another is 403 forbidden.
//   - The brandtracker create/delete quota is 500 operations per billing
//     period; a real create, a reactivation, a delete, a folder delete and
//     a workspace-link delete each take one; past it the answer is 403
//     forbidden and nothing changes.
//   - Creating a brandtracker for an unknown page, shop, domain or folder
//     is 404 not_found; there is no cap on active brandtrackers.
//   - Favorites: scope is a query parameter on every favorites operation.
//     Saved-row ids are numbers for ads, strings (fav_…) for shops and
//     UUIDs for emails. Deleting a folder moves its subfolders to its
//     parent. Share links (ads and favorite-ad folders) are created once
//     per workspace and then returned with created:false.
//   - snapshotDate later than the latest ready date is a validation error;
//     an earlier one ends the analysed window on that day. period and
//     snapshotDate are accepted and ignored where the reference says so.
//   - A testing batch is two or more ads launched on one day; a page is one
//     batch of at most 20 ads, newest batch first.
//   - Faults that imitate a proxy in front of the API (FaultBadGateway,
//     FaultHTML) carry no X-Request-Id, as a real proxy page would not;
//     every other response carries one, equal to the body's requestId.
//   - GET /v1/lookup normalizes q: a URL becomes its bare domain (scheme,
//     "www." and path dropped) and a leading "@" of a handle is dropped.
//     Exact matches (score 1) precede substring matches.
//   - Injected latency (Faults.Latency) applies to routes that need auth;
//     the public routes answer at once.
//
// All methods of Server are safe for concurrent use.
package sandbox

import (
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// DefaultSeed is the seed used when Config.Seed is 0.
const DefaultSeed int64 = 20260825

// Config configures a simulator. The zero value is usable.
type Config struct {
	// Seed seeds the data set and the fault RNG; 0 means DefaultSeed. The
	// same seed always yields the same data.
	Seed int64
	// Now is the clock used for rate limiting, billing periods, data
	// freshness (the data set's dates and GET /v1/system/freshness) and
	// timestamps; nil means time.Now. Injected latency always uses real
	// time.
	Now func() time.Time
	// RateLimit is the per-key token bucket; the zero value means the
	// defaults (20 requests per second, burst 40).
	RateLimit RateLimit
	// Faults configures random fault injection; the zero value injects none.
	Faults Faults
	// DemoCredits is the starting balance of the demo workspace; the zero
	// value means 10000 recurring credits and no top-up.
	DemoCredits Credits
}

// RateLimit configures the per-key token bucket. A zero PerSecond means 20;
// a zero Burst means twice PerSecond (at least 1).
type RateLimit struct {
	PerSecond float64 // sustained requests per second per key
	Burst     int     // bucket size: requests allowed at once
	Disabled  bool    // no rate limiting and no rate-limit headers
	// Headers is the spelling of the rate-limit headers on every answer
	// to a route that needs auth; the zero value is X-RateLimit-*.
	Headers RateLimitHeaders
}

// Faults configures random fault injection. The rates are fractions of the
// requests to routes that need auth; one seeded draw per request decides.
type Faults struct {
	ErrorRate     float64       // answered 500 internal_error (JSON envelope)
	Latency       time.Duration // added to each request; ends early if the client goes away
	DropRate      float64       // connection closed without a response
	MalformedRate float64       // answered 200 with a broken body (truncated JSON or an HTML proxy page)
}

// Credits is a workspace balance. Recurring is what remains of this
// period's recurring credits (the monthly limit is 10000, or Recurring if
// larger); Topup is the top-up balance, which never expires.
type Credits struct {
	Recurring int64
	Topup     int64
}

// DefaultRecurringLimit is the recurring credits every plan includes per month.
const DefaultRecurringLimit int64 = 10000

// Default rate limit per key.
const (
	DefaultRatePerSecond = 20
	DefaultRateBurst     = 40
)

// Server is the simulator. It implements http.Handler.
type Server struct {
	seed    int64
	now     func() time.Time
	started time.Time
	routes  []*route

	requests atomic.Int64

	mu         sync.Mutex
	rl         RateLimit
	faults     Faults
	scripted   []*Fault
	faultRNG   *rand.Rand
	creds      map[string]*credential
	workspaces []*workspace
	limiters   map[string]*rate.Limiter
	idRNG      *rand.Rand
	keySeq     int
}

// New returns a simulator configured by cfg. It is cheap: the data set is
// built on first use and shared by every Server with the same seed.
func New(cfg Config) *Server {
	seed := cfg.Seed
	if seed == 0 {
		seed = DefaultSeed
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	s := &Server{
		seed:     seed,
		now:      now,
		started:  now(),
		routes:   routeTable(),
		rl:       cfg.RateLimit,
		faults:   cfg.Faults,
		faultRNG: rand.New(rand.NewPCG(uint64(seed), 0xfa017)),
		idRNG:    rand.New(rand.NewPCG(uint64(seed), 0x1d5)),
		creds:    make(map[string]*credential),
		limiters: make(map[string]*rate.Limiter),
	}
	s.seedAccounts(cfg.DemoCredits)
	return s
}

// Requests returns how many requests the server has received, whatever
// their outcome (useful to assert that a client did or did not retry).
func (s *Server) Requests() int64 { return s.requests.Load() }

// SetRateLimit replaces the rate limit. Every key starts again with a full
// bucket.
func (s *Server) SetRateLimit(rl RateLimit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rl = rl
	clear(s.limiters)
}

// SetFaults replaces the random fault configuration.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// ServeHTTP answers one API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	s.serve(w, r)
}

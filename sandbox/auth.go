package sandbox

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
)

// Keys of the sandbox's built-in credentials, one per auth state.
const (
	// DemoKey is a full_access key of the demo workspace.
	DemoKey = "tt_live_sandboxDemoFullAccess0001"
	// KeyDelegated is a delegated_user key of the demo workspace: it may read
	// but gets 403 forbidden on workspace-scoped writes.
	KeyDelegated = "tt_live_sandboxDemoDelegatedUser01"
	// KeyDeleted is well formed but belongs to a deleted credential:
	// 401 credential_not_found.
	KeyDeleted = "tt_live_sandboxDeletedCredential01"
	// KeyRevoked belongs to a revoked credential: 401 credential_revoked.
	KeyRevoked = "tt_live_sandboxRevokedCredential01"
	// KeyExpired belongs to an expired credential: 401 credential_expired.
	KeyExpired = "tt_live_sandboxExpiredCredential01"
	// KeyDisabledWorkspace belongs to a workspace with no Public API access
	// row: 403 workspace_public_api_disabled.
	KeyDisabledWorkspace = "tt_live_sandboxDisabledWorkspace01"
	// KeySuspendedWorkspace belongs to a workspace whose Public API access is
	// suspended: 403 workspace_public_api_suspended.
	KeySuspendedWorkspace = "tt_live_sandboxSuspendedWorkspace1"
	// KeyMalformed does not match the key format: 401 invalid_api_key.
	KeyMalformed = "tt_live_short"
)

// Access levels of a credential.
const (
	AccessFull      = "full_access"
	AccessDelegated = "delegated_user"
)

var keyFormat = regexp.MustCompile(`^tt_live_[A-Za-z0-9]{16,}$`)

type credentialState int

const (
	credActive credentialState = iota
	credRevoked
	credExpired
)

// credential is an API key.
type credential struct {
	key         string
	id          string
	name        string
	accessLevel string
	state       credentialState
	createdAt   time.Time
	expiresAt   *time.Time
	lastUsedAt  *time.Time
	ws          *workspace
	user        *delegatedUser
}

type delegatedUser = apispec.DelegatedUser

type workspaceAccess int

const (
	accessEnabled workspaceAccess = iota
	accessMissing                 // no access row: disabled
	accessSuspended
)

// workspace is a tenant: its balance, access state and brandtrackers.
type workspace struct {
	index     int
	id        string
	slug      string
	name      string
	createdAt time.Time
	access    workspaceAccess
	ledger    ledger

	trackersReady bool
	trackers      []*brandtracker
	folders       []*folder // in rank order
	folderSeq     int64
	linkSeq       int64
	quotaUsed     int64     // brandtracker create/delete quota units used this period
	quotaPeriod   time.Time // the billing period quotaUsed belongs to
	favorites     map[string]*favoriteScope
	shares        map[string]*apispec.Share // by resource type and id
}

// seedAccounts creates the demo workspace and the built-in keys.
func (s *Server) seedAccounts(demo Credits) {
	rng := rand.New(rand.NewPCG(uint64(s.seed), 0xacc7))
	demoWS := s.addWorkspace(rng, "sandbox-demo", "Sandbox Demo Workspace", accessEnabled, demo)
	s.addCredential(rng, DemoKey, "Demo full-access key", AccessFull, credActive, demoWS)
	c := s.addCredential(rng, KeyDelegated, "Demo delegated key", AccessDelegated, credActive, demoWS)
	c.user = &delegatedUser{ID: uuid(rng), FullName: "Dana Delegate", WorkspaceRole: "member"}
	s.addCredential(rng, KeyRevoked, "Rotated key", AccessFull, credRevoked, demoWS)
	s.addCredential(rng, KeyExpired, "Expired key", AccessFull, credExpired, demoWS)
	off := s.addWorkspace(rng, "no-api-access", "Workspace Without API Access", accessMissing, Credits{})
	s.addCredential(rng, KeyDisabledWorkspace, "Key of a disabled workspace", AccessFull, credActive, off)
	held := s.addWorkspace(rng, "on-hold", "Suspended Workspace", accessSuspended, Credits{})
	s.addCredential(rng, KeySuspendedWorkspace, "Key of a suspended workspace", AccessFull, credActive, held)
	// KeyDeleted is deliberately absent: a deleted credential is not found.
}

func (s *Server) addWorkspace(rng *rand.Rand, slug, name string, access workspaceAccess, c Credits) *workspace {
	ws := &workspace{
		index:     len(s.workspaces),
		id:        uuid(rng),
		slug:      slug,
		name:      name,
		createdAt: s.started.AddDate(0, -rng.IntN(24)-1, -rng.IntN(28)),
		access:    access,
	}
	if c == (Credits{}) {
		c = Credits{Recurring: DefaultRecurringLimit}
	}
	ws.ledger.set(c, periodStart(s.now()))
	s.workspaces = append(s.workspaces, ws)
	return ws
}

func (s *Server) addCredential(rng *rand.Rand, key, name, level string, state credentialState, ws *workspace) *credential {
	c := &credential{
		key:         key,
		id:          uuid(rng),
		name:        name,
		accessLevel: level,
		state:       state,
		createdAt:   ws.createdAt.AddDate(0, 0, rng.IntN(20)),
		ws:          ws,
	}
	if state == credExpired {
		t := s.started.AddDate(0, -1, 0)
		c.expiresAt = &t
	}
	s.creds[key] = c
	return c
}

// NewWorkspace creates an isolated workspace with Public API access, its own
// brandtrackers and balance, and returns a full_access key for it. A zero
// Credits means the default (10000 recurring, no top-up); use SetCredits for
// an exact balance, including an empty one.
func (s *Server) NewWorkspace(c Credits) (key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keySeq++
	rng := rand.New(rand.NewPCG(uint64(s.seed), uint64(0x5000+s.keySeq)))
	n := len(s.workspaces)
	ws := s.addWorkspace(rng, fmt.Sprintf("workspace-%d", n), fmt.Sprintf("Sandbox Workspace %d", n), accessEnabled, c)
	key = fmt.Sprintf("tt_live_sandboxWs%04dKey%06dFull", n, s.keySeq)
	s.addCredential(rng, key, "Full-access key", AccessFull, credActive, ws)
	return key
}

// NewKey creates another active key on the workspace of workspaceKey, with
// accessLevel "full_access" or "delegated_user". It panics if workspaceKey
// is unknown or accessLevel is neither.
func (s *Server) NewKey(workspaceKey string, accessLevel string) (key string) {
	if accessLevel != AccessFull && accessLevel != AccessDelegated {
		panic(fmt.Sprintf("sandbox: NewKey: access level %q is neither %q nor %q", accessLevel, AccessFull, AccessDelegated))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	owner := s.creds[workspaceKey]
	if owner == nil {
		panic(fmt.Sprintf("sandbox: NewKey: unknown key %q; use DemoKey or a key from NewWorkspace", workspaceKey))
	}
	s.keySeq++
	rng := rand.New(rand.NewPCG(uint64(s.seed), uint64(0x5000+s.keySeq)))
	key = fmt.Sprintf("tt_live_sandboxWs%04dKey%06d", owner.ws.index, s.keySeq)
	c := s.addCredential(rng, key, "Additional key", accessLevel, credActive, owner.ws)
	if accessLevel == AccessDelegated {
		c.user = &delegatedUser{ID: uuid(rng), FullName: "Sandbox Member", WorkspaceRole: "member"}
	}
	return key
}

// authenticate resolves the request's credential, or returns the 401/403
// error the API would send.
func (s *Server) authenticate(r *http.Request, now time.Time) (*credential, *apiError) {
	h := r.Header.Get("Authorization")
	if h == "" {
		if r.Header.Get("X-Api-Key") != "" {
			return nil, newError(http.StatusUnauthorized, codeInvalidAPIKey,
				`The API key must be sent as "Authorization: Bearer <key>", not in an x-api-key header.`)
		}
		return nil, newError(http.StatusUnauthorized, codeMissingAPIKey,
			`Missing API key. Send "Authorization: Bearer <key>" with a key from workspace settings.`)
	}
	scheme, key, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, newError(http.StatusUnauthorized, codeInvalidAPIKey,
			`The Authorization header must use the Bearer scheme: "Authorization: Bearer <key>".`)
	}
	if !keyFormat.MatchString(key) {
		return nil, newError(http.StatusUnauthorized, codeInvalidAPIKey,
			"Invalid API key format. Keys start with tt_live_; re-copy the key and check for whitespace.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.creds[key]
	switch {
	case c == nil:
		return nil, newError(http.StatusUnauthorized, codeCredentialNotFound,
			"No credential matches this API key; it may have been deleted. Issue a new key in workspace settings.")
	case c.state == credRevoked:
		return nil, newError(http.StatusUnauthorized, codeCredentialRevoked,
			"This API key was revoked. Issue a new key in workspace settings.")
	case c.state == credExpired || (c.expiresAt != nil && !now.Before(*c.expiresAt)):
		return nil, newError(http.StatusUnauthorized, codeCredentialExpired,
			"This API key has expired. Renew it in workspace settings.")
	case c.ws.access == accessMissing:
		return nil, newError(http.StatusForbidden, codeWorkspaceDisabled,
			"Public API access is not enabled for this workspace. A workspace admin must enable it.")
	case c.ws.access == accessSuspended:
		return nil, newError(http.StatusForbidden, codeWorkspaceSuspended,
			"Public API access for this workspace is suspended. Contact support.")
	}
	t := now
	c.lastUsedAt = &t
	return c, nil
}

// uuid returns a version-4-shaped UUID from rng.
func uuid(rng *rand.Rand) string {
	a, b := rng.Uint64(), rng.Uint64()
	a = a&^0xf000 | 0x4000
	b = b&^(0xc<<60) | 0x8<<60
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

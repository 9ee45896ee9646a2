package gateway

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// A Client is one caller of the gateway, known by its bearer token: a
// person or an agent of the team, with a cap and a tool list of its own.
// A Client never holds its token, only the token's SHA-256.
type Client struct {
	// Name identifies the client in budgets, the ledger, metrics and
	// logs: 1 to 64 characters of [A-Za-z0-9._-].
	Name string
	// MaxCredits is the client's own cap: the most it may spend, within
	// the deployment's --max-credits and --reserve. nil means no cap of
	// its own (the deployment's still binds).
	MaxCredits *int64
	// Toolsets, when not empty, are the only toolsets the client sees.
	Toolsets []string
	// ReadOnly offers the client only tools that change nothing.
	ReadOnly bool

	digest [sha256.Size]byte
}

// Names of the callers that are not in a clients file.
const (
	// ClientDefault is the caller of a deployment with one shared token
	// (--http-token).
	ClientDefault = "default"
	// ClientAnonymous is the caller of a deployment without tokens
	// (loopback only).
	ClientAnonymous = "anonymous"
)

// tokenDigest is the SHA-256 of a bearer token.
func tokenDigest(token string) [sha256.Size]byte { return sha256.Sum256([]byte(token)) }

// clientFile is the JSON of --clients.
type clientFile struct {
	Clients []clientEntry `json:"clients"`
}

type clientEntry struct {
	Name        string   `json:"name"`
	Token       string   `json:"token"`
	TokenSHA256 string   `json:"tokenSha256"`
	MaxCredits  *int64   `json:"maxCredits"`
	Toolsets    []string `json:"toolsets"`
	ReadOnly    bool     `json:"readOnly"`
	// Revoked keeps an entry (and its name in the ledger's history) while
	// refusing its token.
	Revoked bool `json:"revoked"`
}

// clientName is what a client's name may be; compiled when a clients
// file is first read, not at every start.
var clientName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`) })

// minTokenLen is the shortest plain token a clients file may hold.
const minTokenLen = 16

// ParseClients reads a clients file:
//
//	{"clients": [{"name": "alice", "token": "...", "maxCredits": 200,
//	              "toolsets": ["lookup", "ads"], "readOnly": true}]}
//
// tokenSha256 (the hex SHA-256 of the token, e.g. from
// `printf %s "$TOKEN" | sha256sum`) may be given instead of token, so the
// file need not hold the secret itself. "revoked": true refuses a token
// while keeping its entry. Unknown fields are an error, so a typo
// ("maxCredit") does not silently lift a cap. Revoked entries are left
// out of the result.
func ParseClients(data []byte) ([]*Client, error) {
	var f clientFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a clients file: %v; want {\"clients\": [{\"name\": ..., \"token\": ..., \"maxCredits\": ...}]}", err)
	}
	var (
		out   []*Client
		errs  []error
		names = map[string]bool{}
		seen  = map[[sha256.Size]byte]string{}
	)
	for i, e := range f.Clients {
		where := fmt.Sprintf("clients[%d]", i)
		if e.Name != "" {
			where += " (" + e.Name + ")"
		}
		if !clientName().MatchString(e.Name) {
			errs = append(errs, fmt.Errorf("%s: name %q must be 1 to 64 characters of A-Z a-z 0-9 . _ -", where, e.Name))
			continue
		}
		if names[e.Name] {
			errs = append(errs, fmt.Errorf("%s: the name %q is used twice", where, e.Name))
			continue
		}
		names[e.Name] = true
		if e.Name == ClientDefault || e.Name == ClientAnonymous {
			errs = append(errs, fmt.Errorf("%s: the name %q is reserved", where, e.Name))
			continue
		}
		c := &Client{Name: e.Name, MaxCredits: e.MaxCredits, Toolsets: slices.Clone(e.Toolsets), ReadOnly: e.ReadOnly}
		switch {
		case e.Token != "" && e.TokenSHA256 != "":
			errs = append(errs, fmt.Errorf("%s: give token or tokenSha256, not both", where))
			continue
		case e.Token != "":
			if len(e.Token) < minTokenLen {
				errs = append(errs, fmt.Errorf("%s: the token is shorter than %d characters; use a random one, e.g. openssl rand -hex 32", where, minTokenLen))
				continue
			}
			c.digest = tokenDigest(e.Token)
		case e.TokenSHA256 != "":
			b, err := hex.DecodeString(strings.TrimSpace(e.TokenSHA256))
			if err != nil || len(b) != sha256.Size {
				errs = append(errs, fmt.Errorf("%s: tokenSha256 must be 64 hex digits (printf %%s \"$TOKEN\" | sha256sum)", where))
				continue
			}
			copy(c.digest[:], b)
		default:
			errs = append(errs, fmt.Errorf("%s: no token or tokenSha256", where))
			continue
		}
		if e.MaxCredits != nil && *e.MaxCredits <= 0 {
			errs = append(errs, fmt.Errorf("%s: maxCredits %d would forbid every paid call; give at least 1, leave it out for no cap of the client's own, or set \"revoked\": true", where, *e.MaxCredits))
			continue
		}
		if other, dup := seen[c.digest]; dup {
			errs = append(errs, fmt.Errorf("%s: the same token as %s", where, other))
			continue
		}
		seen[c.digest] = e.Name
		if e.Revoked {
			continue
		}
		out = append(out, c)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// Clients is the set of clients of a deployment, loaded from a file and
// reloaded in place (on SIGHUP): a token removed or revoked there gets
// 401 from the next request on, and a changed cap binds from the next
// call. It is safe for concurrent use.
type Clients struct {
	path string

	mu       sync.RWMutex
	byDigest map[[sha256.Size]byte]*Client
	list     []*Client
	check    func([]*Client) error // the gateway's checks of a reload
}

// LoadClients reads the clients file at path.
func LoadClients(path string) (*Clients, error) {
	c := &Clients{path: path}
	if err := c.Reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// NewClients returns a fixed set of clients (tests, programs that build
// them in code); Reload keeps it.
func NewClients(list []*Client) *Clients {
	c := &Clients{}
	c.set(list)
	return c
}

// Reload reads the file again. On any error the clients in use stay as
// they were, and the error says what is wrong with the file.
func (c *Clients) Reload() error {
	if c.path == "" {
		return nil
	}
	data, err := os.ReadFile(c.path)
	if err != nil {
		return fmt.Errorf("--clients: %w", err)
	}
	list, err := ParseClients(data)
	if err == nil {
		c.mu.RLock()
		check := c.check
		c.mu.RUnlock()
		if check != nil {
			err = check(list)
		}
	}
	if err != nil {
		return fmt.Errorf("--clients %s: %w", c.path, err)
	}
	c.set(list)
	return nil
}

// setCheck makes Reload refuse a file that check refuses.
func (c *Clients) setCheck(check func([]*Client) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.check = check
}

func (c *Clients) set(list []*Client) {
	m := make(map[[sha256.Size]byte]*Client, len(list))
	for _, cl := range list {
		m[cl.digest] = cl
	}
	c.mu.Lock()
	c.byDigest, c.list = m, list
	c.mu.Unlock()
}

// Path is the file the clients come from ("" for NewClients).
func (c *Clients) Path() string { return c.path }

// List returns the clients in file order.
func (c *Clients) List() []*Client {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return slices.Clone(c.list)
}

// lookup finds the client whose token has digest d. The map is keyed by
// the digest, so the lookup's timing says nothing about the token.
func (c *Clients) lookup(d [sha256.Size]byte) (*Client, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	cl, ok := c.byDigest[d]
	return cl, ok
}

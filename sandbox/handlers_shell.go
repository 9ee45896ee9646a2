package sandbox

import (
	"html"
	"time"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
)

func init() {
	handle(map[string]handler{
		"getApiInfo":         handleAPIInfo,
		"getHealth":          handleHealth,
		"getOpenapi":         handleOpenAPI,
		"getDocs":            handleDocs,
		"getSystemFreshness": handleFreshness,
		"getMe":              handleMe,
		"getWorkspace":       handleWorkspace,
		"getUsage":           handleUsage,
	})
}

// APIName and APIVersion are what GET /v1 reports (the reference pages'
// values).
const (
	APIName    = "Trendtrack Public API"
	APIVersion = apispec.Version
)

func handleAPIInfo(c *call) (result, *apiError) {
	return result{item: apispec.APIInfo{Name: APIName, Version: APIVersion, Status: "ok"}}, nil
}

func handleHealth(c *call) (result, *apiError) {
	up := c.now.Sub(c.s.started)
	return result{item: apispec.Health{Status: "ok", Timestamp: dt(c.now), Uptime: int64(max(0, up/time.Second))}}, nil
}

func handleOpenAPI(c *call) (result, *apiError) {
	return result{raw: apispec.Document()}, nil
}

const docsPage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>%s</title></head>
<body><h1>%s</h1><p>The machine-readable description of every operation is at <a href="/v1/openapi.json">/v1/openapi.json</a>.</p>
<p>Answers reflect the latest ready snapshot; see GET /v1/system/freshness.</p></body></html>
`

func handleDocs(c *call) (result, *apiError) {
	t := html.EscapeString(APIName + " " + APIVersion)
	return result{raw: []byte(sprintf(docsPage, t, t))}, nil
}

func handleFreshness(c *call) (result, *apiError) {
	ready := LatestReadyDate(c.now)
	today := c.now.UTC().Truncate(24 * time.Hour)
	return result{item: apispec.Freshness{Status: "ok", Data: apispec.FreshnessData{
		LatestReadyDate:      day(ready),
		LatestScheduledDate:  day(today),
		DataFreshnessLagDays: int(today.Sub(ready).Hours() / 24),
		GeneratedAt:          dt(c.now),
	}}}, nil
}

func dtPtr(t *time.Time) *apispec.DateTime {
	if t == nil {
		return nil
	}
	s := dt(*t)
	return &s
}

// credential returns the call's credential, long (for /v1/me) or short.
func (c *call) credential() (apispec.CredentialInfo, apispec.CredentialRef) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	cr := c.cred
	return apispec.CredentialInfo{ID: cr.id, Name: cr.name, AccessLevel: cr.accessLevel, ExpiresAt: dtPtr(cr.expiresAt),
			CreatedAt: dt(cr.createdAt), LastUsedAt: dtPtr(cr.lastUsedAt)},
		apispec.CredentialRef{ID: cr.id, AccessLevel: cr.accessLevel, LastUsedAt: dtPtr(cr.lastUsedAt)}
}

func (c *call) workspaceRef(full bool) apispec.WorkspaceRef {
	r := apispec.WorkspaceRef{ID: c.ws.id, Slug: c.ws.slug, Name: c.ws.name}
	if full {
		t := dt(c.ws.createdAt)
		r.CreatedAt = &t
	}
	return r
}

func handleMe(c *call) (result, *apiError) {
	long, _ := c.credential()
	var user *apispec.DelegatedUser
	if c.cred.user != nil {
		u := *c.cred.user
		user = &u
	}
	return result{item: apispec.Me{RequestID: c.reqID, Credential: long, Workspace: c.workspaceRef(true), DelegatedUser: user}}, nil
}

func handleWorkspace(c *call) (result, *apiError) {
	_, short := c.credential()
	as := apispec.AuthenticatedAs{Type: "api_key", AccessLevel: c.cred.accessLevel}
	if c.cred.user != nil {
		as.Type = "delegated_user"
		id := c.cred.user.ID
		as.DelegatedUserID = &id
	}
	return result{item: apispec.WorkspaceInfo{RequestID: c.reqID, Workspace: c.workspaceRef(true), AuthenticatedAs: as, Credential: short}}, nil
}

func handleUsage(c *call) (result, *apiError) {
	c.s.mu.Lock()
	l := &c.ws.ledger
	l.refresh(c.now)
	limit, remaining, topup := l.limit, l.recurring, l.topup
	period := l.period
	c.s.mu.Unlock()
	_, short := c.credential()
	start, end := dt(period), dt(period.AddDate(0, 1, 0))
	plan := "sandbox"
	quota := apispec.Quota{Limit: limit, Used: max(0, limit-remaining), Remaining: remaining}
	return result{item: apispec.Usage{
		RequestID:     c.reqID,
		Workspace:     c.workspaceRef(false),
		Credential:    short,
		Billing:       apispec.Billing{Configured: true, PlanCode: &plan, CurrentPeriodStart: &start, CurrentPeriodEnd: &end, UpdatedAt: &start},
		IncludedQuota: quota,
		Credits: apispec.CreditsInfo{Balance: topup, Recurring: quota, Topup: apispec.TopupCredit{Balance: topup},
			TotalRemaining: remaining + topup},
	}}, nil
}

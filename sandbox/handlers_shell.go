package sandbox

import (
	"math"
	"time"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
)

// APIVersion is the version /v1 and the OpenAPI document report.
const APIVersion = "1.0.0"

func handleAPIInfo(c *call) (reply, *apiError) {
	return reply{body: map[string]any{"name": "TrendTrack Public API", "version": APIVersion, "status": "ok"}}, nil
}

func handleHealth(c *call) (reply, *apiError) {
	up := c.now.Sub(c.s.started).Seconds()
	return reply{body: map[string]any{
		"status":    "ok",
		"timestamp": iso(c.now),
		"uptime":    math.Round(max(0, up)*1000) / 1000,
	}}, nil
}

func handleOpenAPI(c *call) (reply, *apiError) {
	return reply{raw: apispec.Document()}, nil
}

func isoPtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := iso(*t)
	return &s
}

func (c *call) credentialJSON(full bool) map[string]any {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	cr := c.cred
	m := map[string]any{"id": cr.id, "accessLevel": cr.accessLevel, "lastUsedAt": isoPtr(cr.lastUsedAt)}
	if full {
		m["name"] = cr.name
		m["description"] = nil
		m["expiresAt"] = isoPtr(cr.expiresAt)
		m["createdAt"] = iso(cr.createdAt)
	}
	return m
}

func (c *call) workspaceJSON(full bool) map[string]any {
	m := map[string]any{"id": c.ws.id, "slug": c.ws.slug, "name": c.ws.name}
	if full {
		m["createdAt"] = iso(c.ws.createdAt)
	}
	return m
}

func handleMe(c *call) (reply, *apiError) {
	var user any
	if c.cred.user != nil {
		user = c.cred.user
	}
	return reply{body: map[string]any{
		"requestId":     c.reqID,
		"credential":    c.credentialJSON(true),
		"workspace":     c.workspaceJSON(true),
		"delegatedUser": user,
	}}, nil
}

func handleWorkspace(c *call) (reply, *apiError) {
	as := map[string]any{"type": "api_key", "accessLevel": c.cred.accessLevel, "delegatedUserId": nil}
	if c.cred.user != nil {
		as["type"] = "delegated_user"
		as["delegatedUserId"] = c.cred.user.ID
	}
	return reply{body: map[string]any{
		"requestId":       c.reqID,
		"workspace":       c.workspaceJSON(true),
		"authenticatedAs": as,
		"credential":      c.credentialJSON(false),
	}}, nil
}

func handleUsage(c *call) (reply, *apiError) {
	c.s.mu.Lock()
	l := &c.ws.ledger
	l.refresh(c.now)
	limit, remaining, topup := l.limit, l.recurring, l.topup
	period := l.period
	c.s.mu.Unlock()
	used := max(0, limit-remaining)
	start, end := iso(period), iso(period.AddDate(0, 1, 0))
	plan := "sandbox"
	quota := map[string]any{"limit": limit, "used": used, "remaining": remaining}
	return reply{body: map[string]any{
		"requestId":  c.reqID,
		"workspace":  c.workspaceJSON(false),
		"credential": c.credentialJSON(false),
		"billing": map[string]any{
			"configured":         true,
			"planCode":           plan,
			"currentPeriodStart": start,
			"currentPeriodEnd":   end,
			"updatedAt":          start,
		},
		"includedQuota": quota,
		"credits": map[string]any{
			"balance":        topup,
			"recurring":      quota,
			"topup":          map[string]any{"balance": topup},
			"totalRemaining": remaining + topup,
		},
	}}, nil
}

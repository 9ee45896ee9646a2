package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Usage is the body of GET /v1/usage (answered at the root, not in a data
// envelope). Deprecated fields of the API (includedQuota, credits.balance)
// are left out.
type Usage struct {
	RequestID string `json:"requestId"`
	Workspace struct {
		ID   string `json:"id"`
		Slug string `json:"slug"`
		Name string `json:"name"`
	} `json:"workspace"`
	Credential struct {
		ID          string `json:"id"`
		AccessLevel string `json:"accessLevel"`
	} `json:"credential"`
	Billing struct {
		Configured         bool    `json:"configured"`
		PlanCode           *string `json:"planCode"`
		CurrentPeriodStart *string `json:"currentPeriodStart"`
		CurrentPeriodEnd   *string `json:"currentPeriodEnd"`
	} `json:"billing"`
	Credits struct {
		Recurring struct {
			Limit     int64 `json:"limit"`
			Used      int64 `json:"used"`
			Remaining int64 `json:"remaining"`
		} `json:"recurring"`
		Topup struct {
			Balance int64 `json:"balance"`
		} `json:"topup"`
		TotalRemaining int64 `json:"totalRemaining"`
	} `json:"credits"`
	// Metering holds the response's headers (X-Credits-Remaining).
	Metering Metering `json:"-"`
}

// RefillAt is when recurring credits refill: the end of the billing
// period. ok is false when billing is not configured or the date is
// unreadable.
func (u *Usage) RefillAt() (t time.Time, ok bool) {
	if u == nil || !u.Billing.Configured || u.Billing.CurrentPeriodEnd == nil {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, *u.Billing.CurrentPeriodEnd)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// Usage calls GET /v1/usage, which is free.
func (c *Client) Usage(ctx context.Context) (*Usage, error) {
	resp, err := c.Do(ctx, &Request{Method: "GET", Path: "/v1/usage", Operation: "getUsage"})
	if err != nil {
		return nil, err
	}
	var u Usage
	if err := json.Unmarshal(resp.Data, &u); err != nil {
		return nil, &APIError{Status: resp.Status, Code: CodeMalformedResponse,
			Message: fmt.Sprintf("GET /v1/usage answered a body of the wrong shape: %v", err), RequestID: resp.RequestID, Metering: resp.Metering}
	}
	u.Metering = resp.Metering
	if u.RequestID == "" {
		u.RequestID = resp.RequestID
	}
	return &u, nil
}

package apispec

// Response shapes of the shell endpoints, the envelopes and errors.

// APIInfo is GET /v1.
type APIInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Status  string `json:"status" enum:"ok"`
}

// Health is GET /v1/health.
type Health struct {
	Status    string   `json:"status" enum:"ok"`
	Timestamp DateTime `json:"timestamp"`
	Uptime    int64    `json:"uptime" doc:"Seconds since the server started."`
}

// Freshness is GET /v1/system/freshness (no requestId in the body).
type Freshness struct {
	Status string        `json:"status" enum:"ok"`
	Data   FreshnessData `json:"data"`
}

// FreshnessData says how recent the data is.
type FreshnessData struct {
	LatestReadyDate      Date     `json:"latestReadyDate" doc:"The newest snapshot date every answer reflects."`
	LatestScheduledDate  Date     `json:"latestScheduledDate" doc:"The newest snapshot date indexed or scheduled, not yet ready."`
	DataFreshnessLagDays int      `json:"dataFreshnessLagDays" doc:"Days between today (UTC) and latestReadyDate."`
	GeneratedAt          DateTime `json:"generatedAt"`
}

// Me is GET /v1/me.
type Me struct {
	RequestID     string         `json:"requestId"`
	Credential    CredentialInfo `json:"credential"`
	Workspace     WorkspaceRef   `json:"workspace"`
	DelegatedUser *DelegatedUser `json:"delegatedUser"`
}

// CredentialInfo describes an API key.
type CredentialInfo struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description *string   `json:"description"`
	AccessLevel string    `json:"accessLevel" enum:"full_access,delegated_user"`
	ExpiresAt   *DateTime `json:"expiresAt"`
	CreatedAt   DateTime  `json:"createdAt"`
	LastUsedAt  *DateTime `json:"lastUsedAt"`
}

// CredentialRef is the short form of a credential.
type CredentialRef struct {
	ID          string    `json:"id"`
	AccessLevel string    `json:"accessLevel" enum:"full_access,delegated_user"`
	LastUsedAt  *DateTime `json:"lastUsedAt"`
}

// WorkspaceRef describes a workspace; createdAt is absent in /v1/usage.
type WorkspaceRef struct {
	ID        string    `json:"id"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	CreatedAt *DateTime `json:"createdAt,omitempty"`
}

// DelegatedUser is the user a delegated_user key acts for.
type DelegatedUser struct {
	ID            string  `json:"id"`
	FullName      string  `json:"fullName"`
	AvatarURL     *string `json:"avatarUrl"`
	WorkspaceRole string  `json:"workspaceRole" enum:"owner,admin,member,readonly"`
}

// WorkspaceInfo is GET /v1/workspace.
type WorkspaceInfo struct {
	RequestID       string          `json:"requestId"`
	Workspace       WorkspaceRef    `json:"workspace"`
	AuthenticatedAs AuthenticatedAs `json:"authenticatedAs"`
	Credential      CredentialRef   `json:"credential"`
}

// AuthenticatedAs says how a call authenticated.
type AuthenticatedAs struct {
	Type            string  `json:"type" enum:"api_key,delegated_user"`
	AccessLevel     string  `json:"accessLevel" enum:"full_access,delegated_user"`
	DelegatedUserID *string `json:"delegatedUserId"`
}

// Usage is GET /v1/usage (root-level, no data wrapper).
type Usage struct {
	RequestID     string        `json:"requestId"`
	Workspace     WorkspaceRef  `json:"workspace"`
	Credential    CredentialRef `json:"credential"`
	Billing       Billing       `json:"billing"`
	IncludedQuota Quota         `json:"includedQuota" doc:"Deprecated: use credits.recurring."`
	Credits       CreditsInfo   `json:"credits"`
}

// Billing is a workspace's billing period; currentPeriodEnd is the refill date.
type Billing struct {
	Configured         bool      `json:"configured"`
	PlanCode           *string   `json:"planCode"`
	CurrentPeriodStart *DateTime `json:"currentPeriodStart"`
	CurrentPeriodEnd   *DateTime `json:"currentPeriodEnd"`
	UpdatedAt          *DateTime `json:"updatedAt"`
}

// Quota is a recurring credit allowance.
type Quota struct {
	Limit     int64 `json:"limit"`
	Used      int64 `json:"used"`
	Remaining int64 `json:"remaining"`
}

// CreditsInfo is a workspace's balance.
type CreditsInfo struct {
	Balance        int64       `json:"balance" doc:"Deprecated alias of topup.balance."`
	Recurring      Quota       `json:"recurring"`
	Topup          TopupCredit `json:"topup"`
	TotalRemaining int64       `json:"totalRemaining" doc:"recurring.remaining + topup.balance."`
}

// TopupCredit is the top-up balance; it never expires.
type TopupCredit struct {
	Balance int64 `json:"balance"`
}

// PagePagination is the pagination of page-based collections.
type PagePagination struct {
	Page       int64 `json:"page"`
	Limit      int64 `json:"limit"`
	Total      int64 `json:"total"`
	TotalPages int64 `json:"totalPages"`
}

// OffsetPagination is the pagination of offset-based collections.
type OffsetPagination struct {
	Limit  int64 `json:"limit"`
	Offset int64 `json:"offset"`
	Total  int64 `json:"total"`
}

// Error is the error envelope. Branch on error.code, never on message.
type Error struct {
	Error ErrorObject `json:"error"`
}

// ErrorObject is the error of an error envelope.
type ErrorObject struct {
	Code      string        `json:"code"`
	Message   string        `json:"message"`
	RequestID string        `json:"requestId"`
	Details   *ErrorDetails `json:"details,omitempty"`
}

// ErrorDetails holds the validation errors of a 400.
type ErrorDetails struct {
	ValidationErrors []ValidationError `json:"validationErrors"`
}

// ValidationError is one problem with a request: field is prefixed by its
// location (query-string.limit, body.search).
type ValidationError struct {
	Field    string   `json:"field"`
	Location string   `json:"location" enum:"query-string,body,header,path"`
	Expected []string `json:"expected"`
}

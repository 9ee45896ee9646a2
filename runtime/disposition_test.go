package runtime_test

import (
	"testing"

	"github.com/tollgate-mcp/tollgate/runtime"
)

func TestEveryCodeHasADisposition(t *testing.T) {
	t.Parallel()
	for _, c := range runtime.Codes() {
		info := runtime.LookupCode(c, 0)
		if info.Run == 0 {
			t.Errorf("advice table row %q has no Run disposition", c)
		}
		if got := runtime.DispositionOf(runtime.Advice{Code: c, HTTPStatus: info.Status, Retryable: info.Retryable, Source: runtime.SourceAPI}); got != info.Run {
			t.Errorf("DispositionOf(%q) = %v, want the table's %v", c, got, info.Run)
		}
	}
}

func TestDispositionOfACode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a    runtime.Advice
		want runtime.Disposition
	}{
		{"the run cap", runtime.Advice{Code: runtime.CodeBudgetCapReached, Source: runtime.SourceBudget}, runtime.Stop},
		{"the floor", runtime.Advice{Code: runtime.CodeBudgetFloorReached, Source: runtime.SourceBudget}, runtime.Stop},
		{"an empty workspace", runtime.Advice{Code: runtime.CodeBudgetExhausted, Source: runtime.SourceBudget}, runtime.Stop},
		{"a budget that cannot be known", runtime.Advice{Code: runtime.CodeBudgetStoreUnavailable, Source: runtime.SourceBudget, Retryable: true}, runtime.Stop},
		{"a real 402", runtime.Advice{Code: runtime.CodeInsufficientCredits, HTTPStatus: 402, Source: runtime.SourceAPI}, runtime.Stop},
		{"a call larger than one call may be", runtime.Advice{Code: runtime.CodeBudgetCallLimit, Source: runtime.SourceBudget}, runtime.Skip},
		{"an unknown budget code", runtime.Advice{Code: "budget_new_rule", Source: runtime.SourceBudget}, runtime.Stop},
		{"a revoked key", runtime.Advice{Code: runtime.CodeCredentialRevoked, HTTPStatus: 401, Source: runtime.SourceAPI}, runtime.Fatal},
		{"an unknown 401", runtime.Advice{Code: "token_mangled", HTTPStatus: 401, Source: runtime.SourceAPI}, runtime.Fatal},
		{"Public API disabled", runtime.Advice{Code: runtime.CodeWorkspacePublicAPIDisabled, HTTPStatus: 403, Source: runtime.SourceAPI}, runtime.Fatal},
		{"forbidden", runtime.Advice{Code: runtime.CodeForbidden, HTTPStatus: 403, Source: runtime.SourceAPI}, runtime.Skip},
		{"a rate limit", runtime.Advice{Code: runtime.CodeRateLimited, HTTPStatus: 429, Retryable: true, Source: runtime.SourceAPI}, runtime.RetryLater},
		{"an unknown 5xx", runtime.Advice{Code: "overloaded", HTTPStatus: 529, Retryable: true, Source: runtime.SourceAPI}, runtime.RetryLater},
		{"a validation error", runtime.Advice{Code: runtime.CodeValidation, HTTPStatus: 400, Source: runtime.SourceAPI}, runtime.Skip},
		{"an unknown 4xx", runtime.Advice{Code: "gone", HTTPStatus: 410, Source: runtime.SourceAPI}, runtime.Skip},
		{"a timeout", runtime.Advice{Code: runtime.CodeTimeout, Retryable: true, Source: runtime.SourceAPI}, runtime.RetryLater},
		{"a cancelled call", runtime.Advice{Code: runtime.CodeCanceled, Source: runtime.SourceAPI}, runtime.RetryLater},
		{"invalid arguments", runtime.Advice{Code: runtime.CodeInvalidArguments, Source: runtime.SourceTool}, runtime.Skip},
		{"an unknown tool", runtime.Advice{Code: runtime.CodeUnknownTool, Source: runtime.SourceTool}, runtime.Skip},
		{"a panic in tollgate", runtime.Advice{Code: runtime.CodeToolPanic, Source: runtime.SourceTool}, runtime.RetryLater},
		{"an unexpected error in tollgate", runtime.Advise(errString("boom")), runtime.RetryLater},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := runtime.DispositionOf(tt.a); got != tt.want {
				t.Errorf("DispositionOf(%+v) = %v, want %v", tt.a, got, tt.want)
			}
		})
	}
}

type errString string

func (e errString) Error() string { return string(e) }

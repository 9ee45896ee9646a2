package budget_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tollgate-mcp/tollgate/budget"
)

func TestStatusJSONShowsUnboundedAvailableAsNull(t *testing.T) {
	ctrl, err := budget.New(budget.Config{MaxCredits: budget.Unlimited})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(status(t, ctrl))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"available":null`) || strings.Contains(string(b), "9223372036854775807") {
		t.Fatalf("unbounded status = %s", b)
	}
	ctrl, _ = budget.New(budget.Config{MaxCredits: 40})
	b, _ = json.Marshal(status(t, ctrl))
	if !strings.Contains(string(b), `"available":40`) || !strings.Contains(string(b), `"runCap":40`) {
		t.Fatalf("capped status = %s", b)
	}
}

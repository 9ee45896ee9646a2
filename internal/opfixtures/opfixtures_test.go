package opfixtures_test

import (
	"encoding/json"
	"testing"

	"go.uber.org/goleak"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
	"github.com/tollgate-mcp/tollgate/internal/opfixtures"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestNamesAreUniquePerOperation checks what lets Args be one map: no
// operation has two parameters (path, query or body) of one name.
func TestNamesAreUniquePerOperation(t *testing.T) {
	for _, o := range apispec.Operations() {
		seen := map[string]bool{}
		for _, p := range append(append([]apispec.Param(nil), o.Params...), o.Body...) {
			if seen[p.Name] {
				t.Errorf("%s has two parameters named %s", o.ID, p.Name)
			}
			seen[p.Name] = true
		}
	}
}

// TestArgsAreJSONValuesForEveryRequiredParameter checks that every
// operation gets a value for each required parameter, and only values
// that survive a JSON round trip as the same kind of value.
func TestArgsAreJSONValuesForEveryRequiredParameter(t *testing.T) {
	fx := &opfixtures.Fixtures{Ad: "a", Advertiser: "v", Shop: "s", Domain: "d.example", Tracker: "t", TrackerFolder: 7,
		Email: "e", TikTok: "k",
		FavFolder: map[string]string{"ads": "f", "shops": "f", "emails": "f"},
		FavMove:   map[string]string{"ads": "m", "shops": "m", "emails": "m"},
		FavSaved:  map[string]string{"ads": "1", "shops": "1", "emails": "1"}}
	for _, o := range apispec.Operations() {
		args := fx.Args(o)
		for _, p := range append(append([]apispec.Param(nil), o.Params...), o.Body...) {
			if _, ok := args[p.Name]; p.Required && !ok {
				t.Errorf("%s: no value for the required %s", o.ID, p.Name)
			}
		}
		raw, err := json.Marshal(args)
		if err != nil {
			t.Errorf("%s: %v", o.ID, err)
			continue
		}
		var back map[string]any
		if err := json.Unmarshal(raw, &back); err != nil || len(back) != len(args) {
			t.Errorf("%s: %s does not read back as %d arguments: %v", o.ID, raw, len(args), err)
		}
		for name, v := range args {
			if _, isStrings := v.([]string); isStrings {
				t.Errorf("%s: %s is a []string, not a JSON value ([]any)", o.ID, name)
			}
		}
	}
}

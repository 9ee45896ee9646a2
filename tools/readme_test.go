package tools_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/tollgate-mcp/tollgate/tools"
)

var updateREADME = flag.Bool("update-readme", false, "rewrite README.md's tools table from the catalogue")

const (
	tableStart = "<!-- tools table: generated from the catalogue by `go test ./tools -run TestREADMEToolsTable -update-readme`; do not edit by hand -->"
	tableEnd   = "<!-- end of tools table -->"
)

// toolsTable renders the catalogue as README's table: every tool, its
// toolset, what it costs at most, and whether it is on by default.
func toolsTable(c *tools.Catalogue) string {
	var b strings.Builder
	b.WriteString("| tool | toolset | credits | default | what it does |\n|---|---|---|---|---|\n")
	for _, tl := range c.Tools() {
		about, _, _ := strings.Cut(tl.Description, "\nCost: ")
		if i := strings.Index(about, ". "); i > 0 {
			about = about[:i+1]
		}
		on := "off"
		if tl.Default {
			on = "**on**"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", tl.Name, tl.Toolset, tl.CostSummary(), on, strings.ReplaceAll(about, "|", `\|`))
	}
	return b.String()
}

// TestREADMEToolsTableIsCurrent fails when README.md's tools table is not
// what the built-in catalogue says; -update-readme rewrites it.
func TestREADMEToolsTableIsCurrent(t *testing.T) {
	const file = "../README.md"
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	before, rest, ok1 := strings.Cut(readme, tableStart+"\n")
	current, after, ok2 := strings.Cut(rest, tableEnd)
	if !ok1 || !ok2 {
		t.Fatalf("README.md has no generated tools table (between %q and %q)", tableStart, tableEnd)
	}
	want := toolsTable(tools.BuiltIn())
	if current == want {
		return
	}
	if *updateREADME {
		if err := os.WriteFile(file, []byte(before+tableStart+"\n"+want+tableEnd+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's tools table is stale; run go test ./tools -run TestREADMEToolsTable -update-readme")
}

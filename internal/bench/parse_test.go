package bench

import (
	"testing"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
	"github.com/tollgate-mcp/tollgate/tools"
)

// BenchmarkParse is tools.Parse of the built-in OpenAPI document, what
// every start does: go test -bench Parse -cpuprofile and -memprofile
// show where the start's time and memory go.
func BenchmarkParse(b *testing.B) {
	doc := apispec.Document()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tools.Parse(doc, tools.SourceBuiltIn); err != nil {
			b.Fatal(err)
		}
	}
}

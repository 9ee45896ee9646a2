package tools_test

import (
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
	"github.com/tollgate-mcp/tollgate/tools"
)

// BenchmarkParse measures tools.Parse of the built-in document against its
// baseline, kin-openapi's LoadFromData of the same bytes (the first thing
// Parse does), interleaved in one loop: parse/load is the ratio, and
// parse-load-ms what the catalogue adds. Run with -count=5 for the spread.
func BenchmarkParse(b *testing.B) {
	doc := apispec.Document()
	var load, parse time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := openapi3.NewLoader().LoadFromData(doc); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := tools.Parse(doc, "bench"); err != nil {
			b.Fatal(err)
		}
		load, parse = load+t1.Sub(t0), parse+time.Since(t1)
	}
	b.ReportMetric(float64(parse)/float64(load), "parse/load")
	b.ReportMetric(float64(parse-load)/float64(b.N)/1e6, "parse-load-ms")
}

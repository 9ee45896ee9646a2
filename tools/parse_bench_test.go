package tools_test

import (
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
	"github.com/tollgate-mcp/tollgate/internal/openapi"
	"github.com/tollgate-mcp/tollgate/tools"
)

// BenchmarkParse measures, interleaved in one loop over the built-in
// document: kin-openapi's LoadFromData (the baseline: what Parse first
// did before internal/openapi), internal/openapi's Load (what Parse does
// first now), and tools.Parse itself. load/kin is the loaders' ratio,
// parse/kin what a whole Parse costs against kin's load alone (it was
// above 1 with kin inside it), and parse-ms Parse's own time. Run with
// -count=5 for the spread.
func BenchmarkParse(b *testing.B) {
	doc := apispec.Document()
	var kin, load, parse time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := openapi3.NewLoader().LoadFromData(doc); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := openapi.Load(doc); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if _, err := tools.Parse(doc, "bench"); err != nil {
			b.Fatal(err)
		}
		kin, load, parse = kin+t1.Sub(t0), load+t2.Sub(t1), parse+time.Since(t2)
	}
	b.ReportMetric(float64(load)/float64(kin), "load/kin")
	b.ReportMetric(float64(parse)/float64(kin), "parse/kin")
	b.ReportMetric(float64(parse)/float64(b.N)/1e6, "parse-ms")
	b.ReportMetric(float64(load)/float64(b.N)/1e6, "load-ms")
}

// BenchmarkLoad is internal/openapi's Load of the built-in document on
// its own, for its allocations (-benchmem).
func BenchmarkLoad(b *testing.B) {
	doc := apispec.Document()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := openapi.Load(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadKin is kin-openapi's LoadFromData of the same bytes, the
// baseline of BenchmarkLoad's allocations.
func BenchmarkLoadKin(b *testing.B) {
	doc := apispec.Document()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := openapi3.NewLoader().LoadFromData(doc); err != nil {
			b.Fatal(err)
		}
	}
}

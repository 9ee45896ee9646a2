package tools

import (
	"strings"
	"sync"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
)

// overlay is what tollgate adds to one OpenAPI operation: the things a
// model needs that the document does not say. The cost model, the write
// semantics and the limits tollgate falls back on come from the operation
// table of the reference (internal/apispec), keyed the same way.
type overlay struct {
	name    string
	title   string
	toolset string
	// core tools are offered by default (Tool.Default).
	core bool
	// about is the model-facing description: what the tool is for, what
	// it returns, when to use it. Cost, paging and access lines are added
	// from the cost model.
	about string
	// hidden operations are not offered as tools (the API's shell: its
	// info, health, document and docs page).
	hidden bool
}

// overlays maps "METHOD /path/{template}" to the overlay of every
// operation of the reference (§6.2). The files overlay_*.go hold the
// entries, one file per area of the API.
var overlays = sync.OnceValue(func() map[string]overlay {
	out := map[string]overlay{}
	for _, part := range []map[string]overlay{systemOverlays, adOverlays, advertiserOverlays, discoveryOverlays,
		googleOverlays, tiktokOverlays, brandtrackerOverlays, shopOverlays, emailOverlays, facetOverlays,
		favoriteOverlays(), workspaceOverlays} {
		for k, ov := range part {
			key := opKey(strings.Fields(k)[0], strings.Fields(k)[1])
			if _, dup := out[key]; dup {
				panic("tools: two overlay entries for " + k)
			}
			out[key] = ov
		}
	}
	return out
})

// reference maps the same keys to the operations of the reference.
var reference = sync.OnceValue(func() map[string]apispec.Operation {
	ops := apispec.Operations()
	out := make(map[string]apispec.Operation, len(ops))
	for _, o := range ops {
		out[opKey(o.Method, o.Path)] = o
	}
	return out
})

// opKey is the stable identity of an operation: its method and its path
// template with the parameter names left out, so that a document that
// renames {adId} to {id} still finds its overlay.
func opKey(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToUpper(method))
	b.WriteByte(' ')
	for len(path) > 0 {
		i := strings.IndexByte(path, '{')
		if i < 0 {
			b.WriteString(path)
			break
		}
		j := strings.IndexByte(path[i:], '}')
		if j < 0 {
			b.WriteString(path)
			break
		}
		b.WriteString(path[:i+1])
		b.WriteByte('}')
		path = path[i+j+1:]
	}
	return b.String()
}

// known returns the overlay and the reference operation of method and
// path, if tollgate knows them.
func known(method, path string) (overlay, apispec.Operation, bool) {
	key := opKey(method, path)
	ov, ok := overlays()[key]
	if !ok {
		return overlay{}, apispec.Operation{}, false
	}
	return ov, reference()[key], true
}

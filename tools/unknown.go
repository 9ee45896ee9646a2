package tools

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/tollgate-mcp/tollgate/internal/openapi"
)

// Operations of a live document that tollgate does not know (a new
// endpoint of the API). They are offered, so that --toolsets all and
// dynamic mode reach them, but conservatively: named from method and path
// (the operationId is only a label and may change), in toolset "other",
// off by default, reserved as the most they could cost (their limit, or
// UnknownCallBound), and only GETs are read-only.

// unknownOverlay describes an operation tollgate does not know.
func unknownOverlay(method, path string, op *openapi.Operation) overlay {
	about := strings.TrimSpace(op.Summary)
	if d := strings.TrimSpace(op.Description); d != "" && d != about {
		if about != "" && !strings.HasSuffix(about, ".") {
			about += "."
		}
		about = strings.TrimSpace(about + " " + d)
	}
	if about == "" {
		about = strings.ToUpper(method) + " " + path + "."
	}
	if r := []rune(about); len(r) > 1000 {
		about = string(r[:1000]) + "…"
	}
	title := op.Summary
	if title == "" {
		title = strings.ToUpper(method) + " " + path
	}
	return overlay{name: nameFromPath(method, path), title: title, toolset: ToolsetOther, about: about}
}

var versionSegment = regexp.MustCompile(`^v[0-9]+$`)

// nameFromPath names an operation from its method and path: GET
// /v1/widgets is list_widgets, GET /v1/widgets/{id} get_widgets, POST
// /v1/widgets/{id}/archive post_widgets_archive.
func nameFromPath(method, path string) string {
	var words []string
	lastParam := false
	for _, seg := range strings.Split(path, "/") {
		switch {
		case seg == "" || versionSegment.MatchString(seg):
		case strings.HasPrefix(seg, "{"):
			lastParam = true
		default:
			words = append(words, seg)
			lastParam = false
		}
	}
	verb := strings.ToLower(method)
	switch verb {
	case "get":
		if !lastParam {
			verb = "list"
		}
	case "patch":
		verb = "update"
	}
	if len(words) == 0 {
		words = []string{"root"}
	}
	return snakeCase(verb + "_" + strings.Join(words, "_"))
}

// uniqueName returns name, or name with a number added when taken.
func uniqueName(name string, taken map[string]bool) string {
	if !taken[name] {
		return name
	}
	for i := 2; ; i++ {
		suffix := fmt.Sprintf("_%d", i)
		n := name
		if len(n)+len(suffix) > 64 {
			n = n[:64-len(suffix)]
		}
		if !taken[n+suffix] {
			return n + suffix
		}
	}
}

// snakeCase turns "listTiktokLibrary", "facebook-shop" or "Google Ads"
// into "list_tiktok_library", "facebook_shop", "google_ads", cut to 64
// characters of [a-z0-9_].
func snakeCase(s string) string {
	var b strings.Builder
	prevLower := false
	for _, r := range s {
		switch {
		case r < unicode.MaxASCII && unicode.IsUpper(r):
			if prevLower {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			prevLower = false
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
			prevLower = true
		default:
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
				b.WriteByte('_')
			}
			prevLower = false
		}
	}
	out := strings.Trim(b.String(), "_")
	if len(out) > 64 {
		out = strings.TrimRight(out[:64], "_")
	}
	if out == "" {
		out = "operation"
	}
	return out
}

package tools

import (
	"slices"
	"sort"
	"strings"

	"github.com/tollgate-mcp/tollgate/internal/openapi"
)

// The compact default projections of list tools, and the fields and
// fresh arguments added to every API tool that can use them.

// compactFields are the default projections of list tools, keyed by the
// operation's method and path: ids, names, the main metrics and dates.
// A list operation missing here gets one derived from its schema
// (derivedCompact); an entry of ["*"] keeps every field.
var compactFields = map[string][]string{
	"GET /v1/lookup":                             {AllFields},
	"GET /v1/ads":                                adCompact,
	"POST /v1/ads/query":                         adCompact,
	"GET /v1/advertisers/{advertiserId}/ads":     adCompact,
	"GET /v1/brandtrackers/{brandtrackerId}/ads": adCompact,
	"GET /v1/advertisers": {"id", "name", "facebookPageId", "profile.instagramHandle", "profile.likes",
		"profile.instagramFollowers", "advertising.activeAds", "advertising.reach30d"},
	"GET /v1/shops": {"id", "domain", "name", "createdAt", "profile.country", "profile.isShopifyPlus",
		"catalog.productsCount", "traffic.monthlyVisits", "traffic.growth30d", "advertising.activeAds",
		"tiktok.hasTikTok", "googleAds.activeAds"},
	"GET /v1/brandtrackers": {"id", "name", "targetType", "status.lastCrawledAt", "folder.name",
		"advertising.activeAds", "advertising.newAdsLast7Days", "advertising.newAdsLast30Days",
		"websites", "totalTraffic", "createdAt"},
	"POST /v1/google-ads/query": {"id", "googleAdId", "status", "network", "firstSeenAt", "lastSeenAt",
		"daysRunning", "media.type", "media.headline", "advertiser.name", "advertiser.domain", "reach.value"},
	"GET /v1/tiktok/library": {"id", "type", "status", "daysRunning", "createdAt", "content.caption",
		"metrics.views", "metrics.likes", "metrics.engagementRate", "profile.handle", "profile.followers"},
}

// adCompact is the compact row of every Facebook ad list.
var adCompact = []string{"id", "status", "daysRunning", "firstSeenAt", "media.type", "advertiser.name",
	"content.title", "metrics.reach", "metrics.estimatedSpend", "audience.mainCountry", "rank.currentRank", "flags.isEuAd"}

// derivedCompact picks a compact row for a list operation tollgate has
// no entry for: the scalar fields of the row and of its nested objects
// (not through arrays) that are ids, names, titles, statuses, types,
// dates or numbers, leaving out URLs, free text and lists; nil (every
// field) when that would leave nothing out.
func derivedCompact(op *openapi.Operation, s *shape) []string {
	var out []string
	dropped := false
	var walk func(prefix string, sc *openapi.Schema, depth int)
	walk = func(prefix string, sc *openapi.Schema, depth int) {
		props := map[string]*openapi.Schema{}
		for n, p := range sc.Properties {
			props[n] = p
		}
		for _, part := range sc.AllOf {
			for n, p := range part.Properties {
				props[n] = p
			}
		}
		for name, v := range props {
			path := name
			if prefix != "" {
				path = prefix + "." + name
			}
			switch {
			case v.Type.Is("object") && depth < 1:
				walk(path, v, depth+1)
			case len(v.Type) == 0 || v.Type.Is("object") || v.Type.Is("array"),
				strings.HasSuffix(strings.ToLower(name), "url"):
				dropped = true
			case v.Type.Is("integer"), v.Type.Is("number"), v.Type.Is("boolean"),
				v.Format == "date-time" || v.Format == "date", len(v.Enum) > 0,
				isIDName(name), slices.Contains([]string{"name", "title", "domain", "handle", "headline"}, name):
				out = append(out, path)
			default: // free text: a body, a caption, a description
				dropped = true
			}
		}
	}
	rows := rowSchema(op)
	if rows == nil || s == nil {
		return nil
	}
	walk("", rows, 0)
	if !dropped {
		return nil // nothing to leave out: every field
	}
	sort.Strings(out)
	return out
}

// rowSchema is the schema of one row of a list operation's data.
func rowSchema(op *openapi.Operation) *openapi.Schema {
	r := op.Responses.Status(200)
	if r == nil {
		return nil
	}
	mt := r.Content.JSON()
	if mt == nil || mt.Schema == nil {
		return nil
	}
	data := mt.Schema.Properties["data"]
	if data == nil {
		return nil
	}
	return data.Items
}

// addViewArgs gives an API tool the arguments tollgate answers itself:
// fields on tools whose data the document describes (with the compact
// default of list tools), and fresh on the paid reads the cache may
// answer. It also adds how to use them to the description. Call it
// after the operation's own parameters are in t.props.
func (t *Tool) addViewArgs(op *openapi.Operation) {
	readOnly := t.Annotations.ReadOnly
	if s := dataShape(op); s != nil && readOnly {
		if _, clash := t.props[ArgFields]; !clash {
			t.paths = s.paths()
			if t.Paging != PagingNone || t.DefaultLimit > 0 {
				if c, ok := compactFields[t.Method+" "+t.Path]; ok {
					t.compact = c
				} else {
					t.compact = derivedCompact(op, s)
				}
				if len(t.compact) == 1 && t.compact[0] == AllFields {
					t.compact = nil
				}
			}
			desc := "Parts of each row (or of the item) to return, as dotted paths, e.g. [\"advertiser.name\", \"metrics\"]; [\"*\"] returns every field. Ids are always kept. The cost is the same whatever you pick."
			if len(t.compact) > 0 {
				desc += " Default: " + strings.Join(t.compact, ", ") + "."
			}
			t.props[ArgFields] = map[string]any{"type": "array", "items": map[string]any{"type": "string", "minLength": 1}, "description": desc}
		}
	}
	if readOnly && t.Cost != CostFree {
		if _, clash := t.props[ArgFresh]; !clash {
			t.props[ArgFresh] = map[string]any{"type": "boolean",
				"description": "true calls the API even when tollgate has this answer stored from an earlier call (the answer is then charged again). Stored answers are served only while the API's data has not been refreshed since."}
		}
	}
}

// viewNote is the line of the description about fields, or "".
func (t *Tool) viewNote() string {
	switch {
	case t.paths == nil:
		return ""
	case len(t.compact) > 0:
		return "\nRows are compact by default (" + strings.Join(t.compact, ", ") +
			"); pass fields with dotted paths to pick others, or fields: [\"*\"] for every field. The cost is the same."
	case t.Paging != PagingNone || t.DefaultLimit > 0:
		return "\nRows hold every field; pass fields with dotted paths to return less. The cost is the same."
	}
	return "\nPass fields with dotted paths (e.g. [\"id\", \"name\"]) to return only part of the item. The cost is the same."
}

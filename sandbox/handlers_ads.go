package sandbox

import (
	"slices"
	"strings"
)

// adFilter selects ads.
type adFilter struct {
	terms      []string
	all        bool   // keywordMode all
	searchType string // adCopy, brand, website, domain, urlContains
	status     string // "", "all", "active", "inactive"
	media      string // "", "all", "image", "video", "carousel"
	minReach   *int64
	maxReach   *int64
	minDays    *int64
	maxDays    *int64
	include    []string
	exclude    []string
}

func optInt(v values, name string) *int64 {
	if n, ok := v.intOK(name); ok {
		return &n
	}
	return nil
}

// score returns the ad's search score, or -1 if it does not pass the filter.
func (f *adFilter) score(x *ad) int {
	if f.status != "" && f.status != "all" && x.sum.Status != f.status {
		return -1
	}
	if f.media != "" && f.media != "all" && x.sum.Media.Type != f.media {
		return -1
	}
	m := &x.sum.Metrics
	if (f.minReach != nil && m.Reach < *f.minReach) || (f.maxReach != nil && m.Reach > *f.maxReach) {
		return -1
	}
	days := int64(x.sum.DaysRunning)
	if (f.minDays != nil && days < *f.minDays) || (f.maxDays != nil && days > *f.maxDays) {
		return -1
	}
	if len(f.include) > 0 && !slices.ContainsFunc(x.sum.Audience.TargetedCountries, func(c string) bool { return slices.Contains(f.include, c) }) {
		return -1
	}
	if slices.ContainsFunc(x.sum.Audience.TargetedCountries, func(c string) bool { return slices.Contains(f.exclude, c) }) {
		return -1
	}
	if len(f.terms) == 0 {
		return 0
	}
	var n int
	switch f.searchType {
	case "brand":
		n = matchTerms(f.terms, f.all, x.brandText)
	case "website", "urlContains":
		n = matchTerms(f.terms, f.all, x.urlText)
	case "domain":
		for _, t := range f.terms {
			if strings.TrimPrefix(t, "www.") == x.sum.Content.LandingPageDomain {
				n++
			} else if f.all {
				return -1
			}
		}
	default:
		n = matchTerms(f.terms, f.all, x.copyText)
	}
	if n == 0 {
		return -1
	}
	return n
}

// selectAds filters and sorts src.
func selectAds(src []*ad, f adFilter, sortBy string, asc bool) []*ad {
	var rows []scored[*ad]
	for _, x := range src {
		if s := f.score(x); s >= 0 {
			rows = append(rows, scored[*ad]{x, s})
		}
	}
	id := func(r scored[*ad]) string { return r.row.sum.ID }
	var key func(r scored[*ad]) int64
	switch sortBy {
	case "newest", "createdAt":
		key = func(r scored[*ad]) int64 { return r.row.createdAt.UnixMilli() }
	case "longestRunning":
		key = func(r scored[*ad]) int64 { return int64(r.row.sum.DaysRunning) }
	case "reach":
		key = func(r scored[*ad]) int64 { return r.row.sum.Metrics.Reach }
	case "mostDuplicates", "duplicates":
		key = func(r scored[*ad]) int64 { return r.row.sum.Metrics.Duplicates }
	case "reachDelta1d":
		key = func(r scored[*ad]) int64 { return r.row.sum.Metrics.ReachDelta1d }
	case "reachDelta7d":
		key = func(r scored[*ad]) int64 { return r.row.sum.Metrics.ReachDelta7d }
	case "reachDelta30d":
		key = func(r scored[*ad]) int64 { return r.row.sum.Metrics.ReachDelta30d }
	case "rankDelta7d", "rankDelta14d", "rankDelta30d":
		key = func(r scored[*ad]) int64 { return int64(r.row.sum.Rank.RankDelta) }
	case "adOrder":
		key = func(r scored[*ad]) int64 { return -int64(r.row.sum.Rank.PositionInPage) }
	default: // relevance: best score first, then a stable pseudo-random rank
		asc = false
		key = func(r scored[*ad]) int64 { return int64(r.score)<<40 - r.row.relevance }
	}
	sortRows(rows, asc, key, id)
	out := make([]*ad, len(rows))
	for i, r := range rows {
		out[i] = r.row
	}
	return out
}

// summaries returns the JSON rows of ads, with estimatedSpend at cpm.
func summaries(ads []*ad, cpm int64) []adSummary {
	out := make([]adSummary, len(ads))
	for i, x := range ads {
		out[i] = x.sum
		if cpm != 0 && cpm != 9 {
			out[i].Metrics.EstimatedSpend = estimatedSpend(x.sum.Metrics.Reach, cpm)
		}
	}
	return out
}

func handleListAds(c *call) (reply, *apiError) {
	v := c.v
	search := v.str("search")
	f := adFilter{
		terms:      lowerTerms(search),
		searchType: v.str("searchType"),
		status:     v.str("status"),
		media:      v.str("mediaType"),
	}
	ads := selectAds(c.s.data().ads, f, v.str("sortBy"), false)
	page, pg := byPage(ads, v.int("page"), v.int("limit"))
	return c.list(summaries(page, 9), len(page), pg, nil), nil
}

func handleQueryAds(c *call) (reply, *apiError) {
	v := c.v
	inc, exc := v.inOut("adCountries")
	f := adFilter{
		terms:      lowerTerms(v.strs("search")...),
		all:        v.str("keywordMode") == "all",
		searchType: v.str("searchType"),
		status:     v.str("status"),
		media:      v.str("mediaType"),
		minReach:   optInt(v, "minReach"),
		maxReach:   optInt(v, "maxReach"),
		minDays:    optInt(v, "minDaysRunning"),
		maxDays:    optInt(v, "maxDaysRunning"),
		include:    inc,
		exclude:    exc,
	}
	ads := selectAds(c.s.data().ads, f, v.str("sortBy"), v.str("order") == "asc")
	page, pg := byPage(ads, v.int("page"), v.int("limit"))
	return c.list(summaries(page, 9), len(page), pg, nil), nil
}

func handleGetAd(c *call) (reply, *apiError) {
	x := c.s.data().adByID[c.path["adId"]]
	if x == nil {
		return reply{}, notFound("No ad with id %q. Ad ids look like facebook_1202000000000001; find them with GET /v1/ads.", c.path["adId"])
	}
	return c.item(x.detail()), nil
}

// checkRanges rejects min/max pairs where max is below min.
func checkRanges(v values) []validationError {
	var errs []validationError
	loc, prefix := "body", "body."
	for _, pair := range [][2]string{{"minReach", "maxReach"}, {"minDaysRunning", "maxDaysRunning"}, {"minMonthlyVisits", "maxMonthlyVisits"}} {
		lo, ok1 := v.intOK(pair[0])
		hi, ok2 := v.intOK(pair[1])
		if ok1 && ok2 && hi < lo {
			if pair[0] == "minMonthlyVisits" {
				loc, prefix = "query-string", "query-string."
			}
			errs = append(errs, validationError{Field: prefix + pair[1], Location: loc,
				Expected: []string{pair[1] + " must not be less than " + pair[0]}})
		}
	}
	if a, ok := v.time("publishedAfter"); ok {
		if b, ok := v.time("publishedBefore"); ok && b.Before(a) {
			errs = append(errs, validationError{Field: "body.publishedBefore", Location: "body",
				Expected: []string{"publishedBefore must not be earlier than publishedAfter"}})
		}
	}
	return errs
}

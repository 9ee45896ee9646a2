package sandbox

import (
	"math"
	"strings"
	"time"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
)

func init() {
	handle(map[string]handler{
		"listTiktokLibrary":       handleTiktok,
		"queryTiktokLibrary":      handleTiktok,
		"listShopTiktokLibrary":   handleShopTiktok,
		"getTiktokItem":           handleTiktokItem,
		"queryGoogleAds":          handleQueryGoogle,
		"listGoogleAdsNetworks":   handleGoogleNetworks,
		"listGoogleAdsCountries":  handleGoogleCountries,
		"listGoogleAdsCategories": handleGoogleCategories,
	})
}

// handleTiktok serves GET /v1/tiktok/library and its POST query form.
func handleTiktok(c *call) (result, *apiError) {
	return result{rows: mapRows(selectTiktok(c, c.data().tiktok), func(it *tiktokItem) apispec.TiktokItem { return it.row })}, nil
}

func handleShopTiktok(c *call) (result, *apiError) {
	sh, e := c.shop("shopId")
	if e != nil {
		return result{}, e
	}
	var src []*tiktokItem
	for _, it := range c.data().tiktok {
		if it.domain == sh.domain {
			src = append(src, it)
		}
	}
	return result{rows: mapRows(selectTiktok(c, src), func(it *tiktokItem) apispec.TiktokItem { return it.row })}, nil
}

func selectTiktok(c *call, src []*tiktokItem) []*tiktokItem {
	v := c.v
	terms := lowerTerms(v.str("search"))
	area := v.str("searchArea")
	typ, status := v.str("type"), v.str("status")
	countries := v.strs("countries")
	tags := lowerTerms(v.strs("hashtags")...)
	langs := lowerTerms(v.strs("languages")...)
	media := v.strs("mediaTypes")
	handle := strings.ToLower(strings.TrimPrefix(v.str("handle"), "@"))
	domain := normalizeDomain(v.str("domain"))
	pageID := v.str("tiktokPageId")
	after, hasAfter := v.time("publishedAfter")
	before, hasBefore := v.time("publishedBefore")
	in := func(n int64, lo, hi string) bool {
		if m, ok := v.intOK(lo); ok && n < m {
			return false
		}
		if m, ok := v.intOK(hi); ok && n > m {
			return false
		}
		return true
	}
	var out []scored[*tiktokItem]
	for _, it := range src {
		r := &it.row
		switch {
		case typ != "" && typ != "all" && r.Type != typ, status != "" && status != "all" && r.Status != status,
			handle != "" && it.handle != handle, domain != "" && it.domain != domain, pageID != "" && r.Profile.ID != pageID,
			len(countries) > 0 && !anyIn(it.countrySet, countries), len(tags) > 0 && matchTerms(tags, false, it.hashtags) == 0,
			len(langs) > 0 && !contains(langs, r.Content.Language), len(media) > 0 && !contains(media, r.Media.Type),
			hasAfter && it.createdAt.Before(after), hasBefore && it.createdAt.After(before),
			!in(r.Metrics.Views, "minViews", "maxViews"),
			!in(int64(r.Metrics.EngagementRate), "minEngagementRate", "maxEngagementRate"):
			continue
		}
		s := 0
		if len(terms) > 0 {
			switch area {
			case "caption":
				s = matchTerms(terms, false, it.caption)
			case "profile":
				s = matchTerms(terms, false, it.profile)
			case "hashtag":
				s = matchTerms(terms, false, it.hashtags)
			case "music":
				s = matchTerms(terms, false, it.music)
			default:
				s = matchTerms(terms, false, it.caption, it.profile, it.hashtags, it.music)
			}
			if s == 0 {
				continue
			}
		}
		out = append(out, scored[*tiktokItem]{it, s})
	}
	asc := v.str("order") == "asc"
	var key func(scored[*tiktokItem]) float64
	m := func(r scored[*tiktokItem]) *apispec.TiktokMetrics { return &r.row.row.Metrics }
	switch v.str("sortBy") {
	case "newest":
		key = func(r scored[*tiktokItem]) float64 { return float64(r.row.createdAt.Unix()) }
	case "updatedAt":
		key = func(r scored[*tiktokItem]) float64 { return float64(r.row.updatedAt.Unix()) }
	case "views":
		key = func(r scored[*tiktokItem]) float64 { return float64(m(r).Views) }
	case "likes":
		key = func(r scored[*tiktokItem]) float64 { return float64(m(r).Likes) }
	case "comments":
		key = func(r scored[*tiktokItem]) float64 { return float64(m(r).Comments) }
	case "shares":
		key = func(r scored[*tiktokItem]) float64 { return float64(m(r).Shares) }
	case "saves":
		key = func(r scored[*tiktokItem]) float64 { return float64(m(r).Saves) }
	case "engagementRate":
		key = func(r scored[*tiktokItem]) float64 { return m(r).EngagementRate }
	case "daysRunning":
		key = func(r scored[*tiktokItem]) float64 { return float64(r.row.row.DaysRunning) }
	case "followers":
		key = func(r scored[*tiktokItem]) float64 { return float64(r.row.row.Profile.Followers) }
	default:
		asc = false
		key = func(r scored[*tiktokItem]) float64 {
			return float64(r.score)*math.Pow(2, 41) - float64(r.row.relevance)
		}
	}
	sortRows(out, asc, key, func(r scored[*tiktokItem]) string { return r.row.row.ID })
	items := make([]*tiktokItem, len(out))
	for i, r := range out {
		items[i] = r.row
	}
	return items
}

func handleTiktokItem(c *call) (result, *apiError) {
	it := c.data().tiktokByID[c.path["itemId"]]
	if it == nil {
		return result{}, notFound("No TikTok library item with id %q; find ids with GET /v1/tiktok/library.", c.path["itemId"])
	}
	d := c.data()
	out := apispec.TiktokDetail{TiktokItem: it.row, ViewsHistory: []apispec.DatedValue{}}
	for i := 6; i >= 0; i-- {
		out.ViewsHistory = append(out.ViewsHistory, apispec.DatedValue{
			Date: d.asOf.AddDate(0, 0, -1-i).Format(time.DateOnly), Value: it.row.Metrics.Views - int64(i)*it.row.Metrics.Views/20})
	}
	return result{item: out}, nil
}

func handleQueryGoogle(c *call) (result, *apiError) {
	v := c.v
	terms := lowerTerms(v.strs("search")...)
	status := v.str("status")
	networks := v.strs("networks")
	cats := v.ints("categoryIds")
	inc, exc := v.inOut("audienceCountries")
	after, hasAfter := v.time("publishedAfter")
	before, hasBefore := v.time("publishedBefore")
	minR, maxR := v.optInt("minReach"), v.optInt("maxReach")
	minD, maxD := v.optInt("minDaysRunning"), v.optInt("maxDaysRunning")
	var out []*googleAd
	for _, g := range c.data().google {
		r := &g.row
		days := int64(r.DaysRunning)
		switch {
		case status != "all" && r.Status != status, len(networks) > 0 && !contains(networks, r.Network),
			len(cats) > 0 && !containsInt(cats, r.Audience.CategoryIDs),
			len(inc) > 0 && !anyIn(r.Audience.Countries, inc), anyIn(r.Audience.Countries, exc),
			hasAfter && g.published.Before(after), hasBefore && g.published.After(before),
			minR != nil && r.Reach.Value < *minR, maxR != nil && r.Reach.Value > *maxR,
			minD != nil && days < *minD, maxD != nil && days > *maxD,
			len(terms) > 0 && matchTerms(terms, false, g.searchText) == 0:
			continue
		}
		out = append(out, g)
	}
	var key func(*googleAd) int64
	switch v.str("sortBy") {
	case "reach":
		key = func(g *googleAd) int64 { return g.row.Reach.Value }
	case "longestRunning":
		key = func(g *googleAd) int64 { return int64(g.row.DaysRunning) }
	default:
		key = func(g *googleAd) int64 { return g.published.Unix() }
	}
	sortRows(out, v.str("order") == "asc", key, func(g *googleAd) string { return g.row.ID })
	return result{rows: mapRows(out, func(g *googleAd) apispec.GoogleAd { return g.row })}, nil
}

func containsInt(want, have []int64) bool {
	for _, w := range want {
		for _, h := range have {
			if w == h {
				return true
			}
		}
	}
	return false
}

// googleFacets counts the Google ads per key, most first.
func googleFacets(c *call, keys func(*googleAd) []string, name func(string) string) []apispec.GoogleFacet {
	count := map[string]int64{}
	var order []string
	for _, g := range c.data().google {
		for _, k := range keys(g) {
			if count[k] == 0 {
				order = append(order, k)
			}
			count[k]++
		}
	}
	out := make([]apispec.GoogleFacet, 0, len(order))
	search := strings.ToLower(c.v.str("search"))
	for _, k := range order {
		n := name(k)
		if search != "" && !strings.Contains(strings.ToLower(n+" "+k), search) {
			continue
		}
		out = append(out, apispec.GoogleFacet{ID: k, Name: n, AdsCount: count[k]})
	}
	sortRows(out, false, func(f apispec.GoogleFacet) int64 { return f.AdsCount }, func(f apispec.GoogleFacet) string { return f.ID })
	return out
}

func handleGoogleNetworks(c *call) (result, *apiError) {
	out := googleFacets(c, func(g *googleAd) []string { return []string{g.row.Network} }, func(k string) string { return strings.ToUpper(k[:1]) + k[1:] })
	for _, n := range []string{"search", "shopping", "maps", "youtube", "other"} {
		if !containsFacet(out, n) {
			out = append(out, apispec.GoogleFacet{ID: n, Name: strings.ToUpper(n[:1]) + n[1:]})
		}
	}
	return result{rows: rowsOf(out)}, nil
}

func containsFacet(fs []apispec.GoogleFacet, id string) bool {
	for _, f := range fs {
		if f.ID == id {
			return true
		}
	}
	return false
}

var countryNames = map[string]string{"US": "United States", "GB": "United Kingdom", "CA": "Canada", "AU": "Australia",
	"DE": "Germany", "FR": "France", "NL": "Netherlands", "ES": "Spain", "IT": "Italy", "SE": "Sweden", "IE": "Ireland",
	"BE": "Belgium", "DK": "Denmark", "NZ": "New Zealand"}

func handleGoogleCountries(c *call) (result, *apiError) {
	out := googleFacets(c, func(g *googleAd) []string { return g.row.Audience.Countries }, func(k string) string { return countryNames[k] })
	return result{rows: rowsOf(out)}, nil
}

func handleGoogleCategories(c *call) (result, *apiError) {
	out := googleFacets(c, func(g *googleAd) []string {
		var ks []string
		for _, id := range g.row.Audience.CategoryIDs {
			ks = append(ks, itoa(id))
		}
		return ks
	}, func(k string) string {
		i := int(atoi(k)) - 1
		w := niches[i].word
		return strings.ToUpper(w[:1]) + w[1:]
	})
	return result{rows: rowsOf(out)}, nil
}

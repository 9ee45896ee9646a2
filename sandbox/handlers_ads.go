package sandbox

import (
	"slices"
	"strings"
	"time"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
)

func init() {
	handle(map[string]handler{
		"listAds":                 handleListAds,
		"queryAds":                handleQueryAds,
		"getAd":                   handleGetAd,
		"getAdReachHistory":       handleAdReachHistory,
		"getAdMediaUrl":           handleAdMediaURL,
		"shareAd":                 handleShareAd,
		"listAdLandingPageFacets": handleLandingPageFacets,
	})
}

// adFilter selects ads. Zero fields do not filter.
type adFilter struct {
	terms       []string
	all         bool   // keywordMode all
	searchType  string // adCopy, brand, website, domain, urlContains
	status      string // "", "all", "active", "inactive"
	media       string // "", "all", "image", "video", "carousel"
	minReach    *int64
	maxReach    *int64
	minDays     *int64
	maxDays     *int64
	minDups     *int64
	maxDups     *int64
	minSpend    *int64
	maxSpend    *int64
	cpm         int64
	include     []string
	exclude     []string
	main        []string
	sex         string
	minAge      *int64
	maxAge      *int64
	languages   []string
	ctas        []string
	landing     []string
	tech        []string
	hideLow     bool
	pages       []string // advertiser (page) ids
	after       time.Time
	before      time.Time
	euOnly      bool
	partnerOnly bool
	growth      []string // rising, falling, stable
	spender     string
	tracked     map[string]bool // advertiser ids the workspace tracks (spender=brandtracker)
}

// adsFilter reads the ad filters every ad collection shares.
func adsFilter(v values) adFilter {
	inc, exc := v.inOut("adCountries")
	if len(inc) == 0 {
		inc = v.strs("adCountries") // the query-string form: a list of codes
	}
	f := adFilter{
		terms:      lowerTerms(append(v.strs("search"), v.str("search"))...),
		all:        v.str("keywordMode") == "all",
		searchType: v.str("searchType"),
		status:     v.str("status"),
		media:      v.str("mediaType"),
		minReach:   v.optInt("minReach"), maxReach: v.optInt("maxReach"),
		minDays: v.optInt("minDaysRunning"), maxDays: v.optInt("maxDaysRunning"),
		minDups: v.optInt("minDuplicates"), maxDups: v.optInt("maxDuplicates"),
		minSpend: v.optInt("minSpend"), maxSpend: v.optInt("maxSpend"),
		cpm:     v.int("cpm"),
		include: inc, exclude: exc,
		main:   v.strs("mainCountries"),
		sex:    v.str("sex"),
		minAge: v.optInt("minAge"), maxAge: v.optInt("maxAge"),
		languages: lowerTerms(v.strs("adLanguage")...),
		ctas:      lowerTerms(v.strs("cta")...),
		landing:   lowerTerms(v.strs("landingPages")...),
		tech:      lowerTerms(v.strs("technologies")...),
		pages:     append(v.strs("trackedPages"), v.strs("scopeTrackedPages")...),
		spender:   v.str("spender"),
		growth:    v.strs("growthRank"),
	}
	if kw := v.strs("keywords"); len(kw) > 0 {
		f.terms = lowerTerms(kw...)
	}
	f.hideLow, _ = v.boolean("hideLowReach")
	f.euOnly, _ = v.boolean("euOnly")
	f.partnerOnly, _ = v.boolean("partners")
	f.after, _ = v.time("createdAfter")
	f.before, _ = v.time("createdBefore")
	return f
}

// score returns the ad's search score, or -1 if it does not pass the filter.
func (f *adFilter) score(x *ad) int {
	s, m := &x.sum, &x.sum.Metrics
	switch {
	case f.status != "" && f.status != "all" && s.Status != f.status,
		f.media != "" && f.media != "all" && s.Media.Type != f.media,
		f.minReach != nil && m.Reach < *f.minReach, f.maxReach != nil && m.Reach > *f.maxReach,
		f.minDays != nil && int64(s.DaysRunning) < *f.minDays, f.maxDays != nil && int64(s.DaysRunning) > *f.maxDays,
		f.minDups != nil && m.Duplicates < *f.minDups, f.maxDups != nil && m.Duplicates > *f.maxDups,
		f.hideLow && s.Flags.IsLowReach, f.euOnly && !s.Flags.IsEuAd, f.partnerOnly && x.partner == nil,
		!f.after.IsZero() && x.createdAt.Before(f.after), !f.before.IsZero() && x.createdAt.After(f.before),
		len(f.include) > 0 && !anyIn(s.Audience.TargetedCountries, f.include), anyIn(s.Audience.TargetedCountries, f.exclude),
		len(f.main) > 0 && (!s.Flags.IsEuAd && s.Audience.MainCountry != "GB" || !contains(f.main, s.Audience.MainCountry)),
		f.sex != "" && f.sex != "all" && s.Audience.Gender != f.sex && s.Audience.Gender != "all",
		f.minAge != nil && int64(s.Audience.AgeMin) < *f.minAge, f.maxAge != nil && int64(s.Audience.AgeMax) > *f.maxAge,
		len(f.languages) > 0 && !contains(f.languages, s.Content.Language),
		len(f.ctas) > 0 && !contains(f.ctas, strings.ToLower(s.Content.CallToAction)),
		len(f.landing) > 0 && matchTerms(f.landing, false, x.urlText) == 0,
		len(f.pages) > 0 && !contains(f.pages, x.adv.id):
		return -1
	}
	if f.minSpend != nil || f.maxSpend != nil {
		spend := estimatedSpend(m.Reach, max(f.cpm, 1))
		if (f.minSpend != nil && spend < *f.minSpend) || (f.maxSpend != nil && spend > *f.maxSpend) {
			return -1
		}
	}
	if len(f.tech) > 0 && !usesTech(x.adv, f.tech) {
		return -1
	}
	if len(f.growth) > 0 && !contains(f.growth, growthOf(x)) {
		return -1
	}
	switch f.spender {
	case "big-spender":
		if x.adv.reach30d < 500000 {
			return -1
		}
	case "rising-star":
		if x.adv.newAds30d < 3 || x.adv.createdAt.Before(x.createdAt.AddDate(-2, 0, 0)) {
			return -1
		}
	case "brandtracker":
		if !f.tracked[x.adv.id] {
			return -1
		}
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
			if normalizeDomain(t) == s.Content.LandingPageDomain {
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

// growthOf is an ad's rank trend: rising, falling or stable.
func growthOf(x *ad) string {
	switch d := x.sum.Rank.RankDelta; {
	case d > 3:
		return "rising"
	case d < -3:
		return "falling"
	}
	return "stable"
}

// usesTech reports whether a shop of a uses one of the technologies.
func usesTech(a *advertiser, tech []string) bool {
	for _, sh := range a.shops {
		names := append(append([]string{strings.ToLower(sh.theme)}, lowerTerms(sh.apps...)...), lowerTerms(sh.pixels...)...)
		if anyIn(names, tech) {
			return true
		}
	}
	return false
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
	case "longestRunning", "daysRunning":
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
		key = func(r scored[*ad]) int64 { return int64(rankDelta(r.row, sortBy)) }
	case "currentRank":
		asc = true
		key = func(r scored[*ad]) int64 { return int64(r.row.sum.Rank.CurrentRank) }
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

// rankDelta is an ad's rank improvement over a window: rankDelta7d is the
// ad's rank delta; longer windows scale it.
func rankDelta(x *ad, window string) int {
	d := x.sum.Rank.RankDelta
	switch window {
	case "rankDelta14d", "last14d":
		return d + d/2
	case "rankDelta30d", "last30d":
		return 2 * d
	}
	return d
}

// withinTime keeps the ads created in the last window (last24h, last7d,
// last30d) before asOf; "" keeps all.
func withinTime(ads []*ad, window string, asOf time.Time) []*ad {
	d, ok := windows[window]
	if !ok {
		return ads
	}
	var out []*ad
	for _, x := range ads {
		if !x.createdAt.Before(asOf.Add(-d)) {
			out = append(out, x)
		}
	}
	return out
}

var windows = map[string]time.Duration{
	"last24h": 24 * time.Hour, "last3d": 3 * 24 * time.Hour, "last7d": 7 * 24 * time.Hour, "last14d": 14 * 24 * time.Hour,
	"last30d": 30 * 24 * time.Hour, "last90d": 90 * 24 * time.Hour, "last3m": 91 * 24 * time.Hour,
	"last6m": 182 * 24 * time.Hour, "last1y": 365 * 24 * time.Hour,
}

func handleListAds(c *call) (result, *apiError) {
	f := adsFilter(c.v)
	f.terms = lowerTerms(c.v.str("search"))
	ads := selectAds(c.data().ads, f, c.v.str("sortBy"), false)
	return result{rows: summaries(ads, 9)}, nil
}

func handleQueryAds(c *call) (result, *apiError) {
	f := adsFilter(c.v)
	d := c.data()
	if f.spender == "brandtracker" {
		f.tracked = c.trackedAdvertisers()
	}
	src := withinTime(d.ads, c.v.str("adsTimePeriod"), d.asOf)
	ads := selectAds(src, f, c.v.str("sortBy"), c.v.str("order") == "asc")
	if n := c.v.int("maxAdsPerBrand"); n > 0 {
		per := map[*advertiser]int64{}
		ads = slices.DeleteFunc(ads, func(x *ad) bool { per[x.adv]++; return per[x.adv] > n })
	}
	return result{rows: summaries(ads, c.v.int("cpm"))}, nil
}

// trackedAdvertisers returns the ids of the advertisers the workspace tracks.
func (c *call) trackedAdvertisers() map[string]bool {
	d := c.data()
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.s.ensureTrackers(c.ws, d)
	out := map[string]bool{}
	for _, b := range c.ws.trackers {
		if b.active {
			for _, a := range b.advertisers(d) {
				out[a.id] = true
			}
		}
	}
	return out
}

func (c *call) ad() (*ad, *apiError) {
	x := c.data().adByID[c.path["adId"]]
	if x == nil {
		return nil, notFound("No ad with id %q. Ad ids look like facebook_120200000000001234; find them with GET /v1/ads.", c.path["adId"])
	}
	return x, nil
}

func handleGetAd(c *call) (result, *apiError) {
	x, e := c.ad()
	if e != nil {
		return result{}, e
	}
	return result{item: x.detail(c.data())}, nil
}

func handleAdReachHistory(c *call) (result, *apiError) {
	x, e := c.ad()
	if e != nil {
		return result{}, e
	}
	d := c.data()
	days := int(c.v.int("limit"))
	last := d.asOf.AddDate(0, 0, -1) // the latest ready date
	if x.sum.Status == "inactive" {
		if t, err := time.Parse("2006-01-02T15:04:05.000Z", string(x.sum.LastSeenAt)); err == nil {
			last = t.Truncate(24 * time.Hour)
		}
	}
	first := x.createdAt.Truncate(24 * time.Hour)
	if span := int(last.Sub(first).Hours()/24) + 1; span < days {
		days = max(span, 1)
	}
	points := make([]apispec.ReachPoint, days)
	for i := range points {
		dayT := last.AddDate(0, 0, i-days+1)
		points[i] = apispec.ReachPoint{Date: day(dayT), Reach: x.sum.Metrics.Reach * int64(i+1) / int64(days)}
	}
	return result{rows: rowsOf(points)}, nil
}

func handleAdMediaURL(c *call) (result, *apiError) {
	x, e := c.ad()
	if e != nil {
		return result{}, e
	}
	m := apispec.AdMediaURL{
		AdID: x.sum.ID, MediaType: x.sum.Media.Type, URL: x.sum.Media.MediaURL, URLType: "public_asset",
		SelectedSource: "asset_store", MediaURL: x.sum.Media.MediaURL, ThumbnailURL: x.sum.Media.ThumbnailURL,
		Filename: x.sum.ID + map[bool]string{true: ".mp4", false: ".jpg"}[x.sum.Media.Type == "video"],
	}
	if m.MediaType == "unknown" {
		m.MediaType = "image"
	}
	if x.sum.Status == "active" && hashOf(x.sum.ID)%3 == 0 {
		// Not yet copied to the asset store: the platform's CDN URL, which expires.
		exp := dt(c.now.Add(6 * time.Hour))
		m.URLType, m.SelectedSource, m.ExpiresAt = "external_direct", "platform_cdn", &exp
		m.URL = "https://scontent.sandbox-fbcdn.example/" + strings.TrimPrefix(x.sum.ID, "facebook_") + "/" + m.Filename + "?oe=" + string(exp)
	}
	return result{item: m}, nil
}

func handleShareAd(c *call) (result, *apiError) {
	x, e := c.ad()
	if e != nil {
		return result{}, e
	}
	sh, created := c.share("ad", x.sum.ID)
	return result{item: sh, created: &created}, nil
}

// share returns the share link of a resource, creating it on first use;
// created says which. It takes s.mu.
func (c *call) share(kind, id string) (apispec.Share, bool) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if c.ws.shares == nil {
		c.ws.shares = map[string]*apispec.Share{}
	}
	key := kind + ":" + id
	if sh := c.ws.shares[key]; sh != nil {
		return *sh, false
	}
	token := uuid(subRNG(uint64(c.s.seed), c.ws.id+key))
	sh := &apispec.Share{ID: token, ResourceType: kind, ResourceID: id,
		URL: "https://app.trendtrack.io/share/" + token, CreatedAt: dt(c.now)}
	c.ws.shares[key] = sh
	return *sh, true
}

func handleLandingPageFacets(c *call) (result, *apiError) {
	v := c.v
	d := c.data()
	var src []*ad
	if dom := normalizeDomain(v.str("scopeDomain")); dom != "" {
		for _, x := range d.ads {
			if x.sum.Content.LandingPageDomain == dom {
				src = append(src, x)
			}
		}
	} else {
		for _, id := range v.strs("scopeTrackedPages") {
			if a := d.advByID[id]; a != nil {
				src = append(src, a.ads...)
			}
		}
	}
	f := adFilter{status: v.str("status")}
	type agg struct {
		row    apispec.LandingPageFacet
		latest time.Time
	}
	byURL := map[string]*agg{}
	var order []*agg
	for _, x := range src {
		if f.score(x) < 0 {
			continue
		}
		u := x.sum.Content.LandingPageURL
		a := byURL[u]
		if a == nil {
			a = &agg{row: apispec.LandingPageFacet{LandingPageURL: u, Domain: x.sum.Content.LandingPageDomain}}
			byURL[u] = a
			order = append(order, a)
		}
		a.row.AdsCount++
		if x.sum.Status == "active" {
			a.row.ActiveAdsCount++
		}
	}
	sortRows(order, false, func(a *agg) int64 { return a.row.AdsCount }, func(a *agg) string { return a.row.LandingPageURL })
	return result{rows: mapRows(order, func(a *agg) apispec.LandingPageFacet { return a.row })}, nil
}

package sandbox

import (
	"math"
	"slices"
	"strings"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
)

func init() {
	handle(map[string]handler{
		"listAdvertisers":       handleAdvertisers,
		"queryAdvertisers":      handleAdvertisers,
		"getAdvertiser":         handleGetAdvertiser,
		"listAdvertiserAds":     handleListAdvertiserAds,
		"listShops":             handleShops,
		"queryShops":            handleShops,
		"getShop":               handleGetShop,
		"listSimilarShops":      handleSimilarShops,
		"listShopAdvertisers":   handleShopAdvertisers,
		"listShopProducts":      handleShopProducts,
		"getShopSocialsHistory": handleShopSocials,
	})
}

// handleAdvertisers serves GET /v1/advertisers and POST /v1/advertisers/query.
func handleAdvertisers(c *call) (result, *apiError) {
	v := c.v
	d := c.data()
	terms := lowerTerms(v.strs("search")...)
	all := v.str("keywordMode") == "all"
	searchType := v.str("searchType")
	pageNiches := lowerTerms(v.strs("pageNiches")...)
	inc, exc := v.inOut("adCountries")
	var out []scored[*advertiser]
	for _, a := range d.advertisers {
		if !advertiserPasses(c, a, inc, exc, pageNiches) {
			continue
		}
		s := 0
		if len(terms) > 0 {
			switch searchType {
			case "domain":
				fields := []string{a.domain}
				for _, sh := range a.shops {
					fields = append(fields, sh.domain)
				}
				s = matchTerms(terms, all, fields...)
			case "adCopy", "websiteCopy", "urlContains":
				var texts []string
				for _, x := range a.ads {
					if searchType == "adCopy" {
						texts = append(texts, x.copyText)
					} else {
						texts = append(texts, x.urlText)
					}
				}
				s = matchTerms(terms, all, strings.Join(texts, " "))
			default:
				s = matchTerms(terms, all, a.searchName)
			}
			if s == 0 {
				continue
			}
		}
		out = append(out, scored[*advertiser]{a, s})
	}
	asc := v.str("order") == "asc"
	var key func(scored[*advertiser]) float64
	switch v.str("sortBy") {
	case "newest":
		key = func(r scored[*advertiser]) float64 { return float64(r.row.createdAt.Unix()) }
	case "activeAds":
		key = func(r scored[*advertiser]) float64 { return float64(r.row.liveAds) }
	case "newAds":
		key = func(r scored[*advertiser]) float64 { return float64(r.row.newAds30d) }
	case "euAdsShare":
		key = func(r scored[*advertiser]) float64 { return r.row.euShare }
	case "reach":
		key = func(r scored[*advertiser]) float64 { return float64(r.row.reach30d) }
	case "reach14d":
		key = func(r scored[*advertiser]) float64 { return float64(r.row.reach14d) }
	case "followers":
		key = func(r scored[*advertiser]) float64 { return float64(r.row.followers) }
	default: // relevance ignores order
		asc = false
		key = func(r scored[*advertiser]) float64 { return float64(r.score)*1e12 + float64(r.row.totalReach) }
	}
	sortRows(out, asc, key, func(r scored[*advertiser]) string { return r.row.id })
	return result{
		rows: mapRows(out, func(r scored[*advertiser]) apispec.AdvertiserSummary { return r.row.summary() }),
		meta: apispec.AdvertisersMeta{IsTruncated: false},
	}, nil
}

// advertiserPasses applies the advertiser range filters.
func advertiserPasses(c *call, a *advertiser, inc, exc, niches []string) bool {
	v := c.v
	in := func(n int64, lo, hi string) bool {
		if m, ok := v.intOK(lo); ok && n < m {
			return false
		}
		if m, ok := v.intOK(hi); ok && n > m {
			return false
		}
		return true
	}
	active := a.liveAds
	switch v.str("activeAdsPeriod") {
	case "last24h":
		active = a.newAds1d
	case "last7d", "last14d":
		active = a.newAds7d
	case "last30d":
		active = a.newAds30d
	}
	launched := a.newAds30d
	switch v.str("adsLaunchedPeriod") {
	case "last24h":
		launched = a.newAds1d
	case "last7d", "last14d":
		launched = a.newAds7d
	case "last90d":
		launched = a.newAds30d * 3
	}
	reach := a.reach30d
	switch v.str("reachPeriod") {
	case "last24h":
		reach = a.reach30d / 30
	case "last7d":
		reach = a.reach30d / 4
	case "last14d":
		reach = a.reach14d
	case "last90d":
		reach = a.totalReach
	}
	spend := estimatedSpend(a.reach30d, max(1, v.int("cpm")))
	if !in(active, "minActiveAds", "maxActiveAds") || !in(a.likes, "minLikes", "maxLikes") ||
		!in(a.followers, "minFollowers", "maxFollowers") || !in(launched, "minAdsLaunched", "maxAdsLaunched") ||
		!in(reach, "minReach", "maxReach") || !in(spend, "minSpend", "maxSpend") {
		return false
	}
	if t, ok := v.time("pageCreatedAfter"); ok && a.createdAt.Before(t) {
		return false
	}
	if t, ok := v.time("pageCreatedBefore"); ok && a.createdAt.After(t.AddDate(0, 0, 1)) {
		return false
	}
	if pt := v.strs("pageType"); len(pt) > 0 && !contains(pt, a.pageType) {
		return false
	}
	if ids := v.ints("categoryIds"); len(ids) > 0 && !slices.ContainsFunc(a.shops, func(sh *shop) bool { return slices.Contains(ids, sh.categoryID) }) {
		return false
	}
	switch v.str("shopifyLinked") {
	case "yes":
		if len(a.shops) == 0 {
			return false
		}
	case "no":
		if len(a.shops) > 0 {
			return false
		}
	}
	if g := v.str("gender"); g == "male" || g == "female" {
		want := map[string]string{"male": "men", "female": "women"}[g]
		n := 0
		for _, x := range a.ads {
			if x.sum.Audience.Gender == want {
				n++
			}
		}
		if 2*n < len(a.ads) {
			return false
		}
	}
	if len(inc) > 0 && !anyIn(a.countries, inc) || anyIn(a.countries, exc) {
		return false
	}
	if len(niches) > 0 && !contains(niches, nicheWords[a.nicheIdx]) {
		return false
	}
	return true
}

// nicheWords are the niches' words, by index.
var nicheWords = func() []string {
	out := make([]string, len(niches))
	for i, n := range niches {
		out[i] = n.word
	}
	return out
}()

func (c *call) advertiser() (*advertiser, *apiError) {
	id := c.path["advertiserId"]
	a := c.data().advByID[id]
	if a == nil {
		return nil, notFound("No advertiser with id %q. Advertiser ids are Facebook page ids; find them with GET /v1/lookup or GET /v1/advertisers.", id)
	}
	return a, nil
}

func handleGetAdvertiser(c *call) (result, *apiError) {
	a, e := c.advertiser()
	if e != nil {
		return result{}, e
	}
	return result{item: a.detail()}, nil
}

func handleListAdvertiserAds(c *call) (result, *apiError) {
	a, e := c.advertiser()
	if e != nil {
		return result{}, e
	}
	f := adFilter{status: c.v.str("status"), media: c.v.str("mediaType")}
	ads := selectAds(a.ads, f, c.v.str("sortBy"), c.v.str("order") == "asc")
	return result{rows: summaries(ads, c.v.int("cpm"))}, nil
}

// handleShops serves GET /v1/shops and POST /v1/shops/query.
func handleShops(c *call) (result, *apiError) {
	v := c.v
	d := c.data()
	terms := lowerTerms(append(v.strs("search"), v.str("search"))...)
	searchType := v.str("searchType")
	var out []*shop
	for _, sh := range d.shops {
		if len(terms) > 0 {
			switch searchType {
			case "domain":
				if !slices.ContainsFunc(terms, func(t string) bool { return normalizeDomain(t) == sh.domain }) {
					continue
				}
			case "productName":
				if matchTerms(terms, false, strings.Join(niches[sh.nicheIdx].products, " ")) == 0 {
					continue
				}
			default:
				if matchTerms(terms, false, sh.searchText) == 0 {
					continue
				}
			}
		}
		if shopPasses(v, d, sh) {
			out = append(out, sh)
		}
	}
	sortShops(out, v.str("sortBy"), v.str("order") == "asc")
	return result{rows: mapRows(out, (*shop).summary)}, nil
}

func sortShops(out []*shop, sortBy string, asc bool) {
	var key func(*shop) float64
	switch sortBy {
	case "activeAds":
		key = func(sh *shop) float64 { return float64(sh.activeAds()) }
	case "growth30d":
		key = func(sh *shop) float64 { return sh.growth30d }
	case "productsCount":
		key = func(sh *shop) float64 { return float64(sh.productsCount) }
	case "createdAt":
		key = func(sh *shop) float64 { return float64(sh.createdAt.Unix()) }
	case "tiktokFollowers":
		key = func(sh *shop) float64 { return float64(sh.tiktokFollowers) }
	default:
		key = func(sh *shop) float64 { return float64(sh.monthlyVisits) }
	}
	sortRows(out, asc, key, func(sh *shop) string { return sh.id })
}

// shopPasses applies the shop filters.
func shopPasses(v values, d *dataset, sh *shop) bool {
	in := func(n int64, lo, hi string) bool {
		if m, ok := v.intOK(lo); ok && n < m {
			return false
		}
		if m, ok := v.intOK(hi); ok && n > m {
			return false
		}
		return true
	}
	active := sh.activeAds()
	switch v.str("adsTimePeriod") {
	case "last7d":
		active = 0
		for _, a := range sh.advertisers {
			active += a.newAds7d
		}
	case "last30d":
		active = 0
		for _, a := range sh.advertisers {
			active += a.newAds30d
		}
	}
	revenue := int64(math.Round(float64(sh.monthlyVisits) * 0.02 * sh.avgPrice))
	if !in(sh.monthlyVisits, "minMonthlyVisits", "maxMonthlyVisits") || !in(active, "minActiveAds", "maxActiveAds") ||
		!in(sh.productsCount, "minProducts", "maxProducts") || !in(sh.tiktokFollowers, "minTiktokFollowers", "maxTiktokFollowers") ||
		!in(sh.trustReviews, "minTrustpilotReviews", "maxTrustpilotReviews") || !in(revenue, "minRevenue", "maxRevenue") {
		return false
	}
	if b, ok := v.boolean("hasTikTok"); ok && sh.hasTikTok != b {
		return false
	}
	if b, ok := v.boolean("isShopifyPlus"); ok && sh.shopifyPlus != b {
		return false
	}
	if t, ok := v.time("createdAfter"); ok && sh.createdAt.Before(t) {
		return false
	}
	if t, ok := v.time("createdBefore"); ok && sh.createdAt.After(t.AddDate(0, 0, 1)) {
		return false
	}
	if ids := v.ints("categoryIds"); len(ids) > 0 && !slices.Contains(ids, sh.categoryID) {
		return false
	}
	if ids := v.ints("pixelIds"); len(ids) > 0 && !slices.ContainsFunc(sh.pixels, func(p string) bool { return slices.Contains(ids, facetID("pixel", p)) }) {
		return false
	}
	if ids := v.ints("shopifyAppIds"); len(ids) > 0 && !slices.ContainsFunc(sh.apps, func(a string) bool { return slices.Contains(ids, facetID("shopify_app", a)) }) {
		return false
	}
	if l := lowerTerms(v.strs("languages")...); len(l) > 0 && !contains(l, sh.language) {
		return false
	}
	if cs := v.strs("currencies"); len(cs) > 0 && !slices.ContainsFunc(cs, func(c string) bool { return strings.EqualFold(c, sh.currency) }) {
		return false
	}
	if m := v.strs("markets"); len(m) > 0 && !contains(m, sh.country) {
		return false
	}
	if r := v.str("dtcRegion"); r != "" && regionOf(sh.country) != r {
		return false
	}
	return true
}

func regionOf(country string) string {
	switch {
	case euCountry[country]:
		return "eu"
	case country == "GB":
		return "uk"
	case country == "US" || country == "CA":
		return "us"
	case country == "AU" || country == "NZ":
		return "apac"
	}
	return "other"
}

func (c *call) shop(param string) (*shop, *apiError) {
	id := c.path[param]
	sh := c.data().shopByID[id]
	if sh == nil {
		return nil, notFound("No shop with id %q. Find shop ids with GET /v1/lookup or GET /v1/shops.", id)
	}
	return sh, nil
}

func handleGetShop(c *call) (result, *apiError) {
	sh, e := c.shop("shopId")
	if e != nil {
		return result{}, e
	}
	return result{item: c.data().shopDetail(sh)}, nil
}

func handleSimilarShops(c *call) (result, *apiError) {
	d := c.data()
	id := c.path["identifier"]
	sh := d.shopByID[id]
	if sh == nil {
		sh = d.shopByDomain[normalizeDomain(id)]
	}
	meta := apispec.SimilarShopsMeta{Identifier: id, ShopExists: sh != nil}
	if sh == nil {
		return result{rows: &rows{}, meta: meta}, nil
	}
	var out []*shop
	for _, other := range d.shops {
		if other != sh && other.nicheIdx == sh.nicheIdx {
			out = append(out, other)
		}
	}
	sortShops(out, "monthlyVisits", false)
	return result{rows: mapRows(out, (*shop).summary), meta: meta}, nil
}

func handleShopAdvertisers(c *call) (result, *apiError) {
	sh, e := c.shop("shopId")
	if e != nil {
		return result{}, e
	}
	return result{rows: mapRows(sh.advertisers, (*advertiser).summary)}, nil
}

func handleShopProducts(c *call) (result, *apiError) {
	sh, e := c.shop("shopId")
	if e != nil {
		return result{}, e
	}
	ps := c.data().products(sh)
	asc := c.v.str("order") == "asc"
	switch c.v.str("sortBy") {
	case "price":
		sortRows(ps, asc, func(p apispec.ShopProduct) float64 { return p.Price }, func(p apispec.ShopProduct) string { return p.ID })
	case "createdAt":
		sortRows(ps, asc, func(p apispec.ShopProduct) string { return string(p.CreatedAt) }, func(p apispec.ShopProduct) string { return p.ID })
	default: // popularity: rank 1 first unless asc... asc means least popular first
		if asc {
			slices.Reverse(ps)
		}
	}
	return result{rows: rowsOf(ps)}, nil
}

func handleShopSocials(c *call) (result, *apiError) {
	sh, e := c.shop("shopId")
	if e != nil {
		return result{}, e
	}
	d := c.data()
	step := map[string]int{"day": 1, "week": 7, "month": 30}[c.v.str("period")]
	days := int(c.v.int("days"))
	last := d.asOf.AddDate(0, 0, -1)
	a := sh.advertisers[0]
	var points []apispec.SocialsPoint
	for off := (days - 1) / step * step; off >= 0; off -= step {
		f := 1 - float64(off)/1000
		points = append(points, apispec.SocialsPoint{
			Date:               day(last.AddDate(0, 0, -off)),
			InstagramFollowers: int64(float64(a.followers) * f),
			TiktokFollowers:    int64(float64(sh.tiktokFollowers) * f),
			FacebookLikes:      int64(float64(a.likes) * f),
		})
	}
	return result{rows: rowsOf(points)}, nil
}

func contains(xs []string, x string) bool { return slices.Contains(xs, x) }

func anyIn(xs, set []string) bool {
	for _, x := range xs {
		if contains(set, x) {
			return true
		}
	}
	return false
}

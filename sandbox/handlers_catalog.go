package sandbox

import (
	"math"
	"strings"
)

func handleListAdvertisers(c *call) (reply, *apiError) {
	v := c.v
	terms := lowerTerms(v.strs("search")...)
	all := v.str("keywordMode") == "all"
	byDomain := v.str("searchType") == "domain"
	var rows []scored[*advertiser]
	for _, a := range c.s.data().advertisers {
		s := 0
		if len(terms) > 0 {
			if byDomain {
				fields := []string{a.domain}
				for _, sh := range a.shops {
					fields = append(fields, sh.domain)
				}
				s = matchTerms(terms, all, fields...)
			} else {
				s = matchTerms(terms, all, a.searchName)
			}
			if s == 0 {
				continue
			}
		}
		rows = append(rows, scored[*advertiser]{a, s})
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
	sortRows(rows, asc, key, func(r scored[*advertiser]) string { return r.row.id })
	page, pg := byOffset(rows, v.int("offset"), v.int("limit"))
	data := make([]advertiserSummary, len(page))
	for i, r := range page {
		data[i] = r.row.summary()
	}
	return c.list(data, len(data), pg, map[string]any{"isTruncated": false}), nil
}

func (c *call) advertiser() (*advertiser, *apiError) {
	id := c.path["advertiserId"]
	a := c.s.data().advByID[id]
	if a == nil {
		return nil, notFound("No advertiser with id %q. Advertiser ids are Facebook page ids; find them with GET /v1/lookup or GET /v1/advertisers.", id)
	}
	return a, nil
}

func handleGetAdvertiser(c *call) (reply, *apiError) {
	a, e := c.advertiser()
	if e != nil {
		return reply{}, e
	}
	return c.item(a.detail()), nil
}

func handleListAdvertiserAds(c *call) (reply, *apiError) {
	a, e := c.advertiser()
	if e != nil {
		return reply{}, e
	}
	v := c.v
	f := adFilter{status: v.str("status"), media: v.str("mediaType")}
	ads := selectAds(a.ads, f, v.str("sortBy"), v.str("order") == "asc")
	page, pg := byOffset(ads, v.int("offset"), v.int("limit"))
	return c.list(summaries(page, v.int("cpm")), len(page), pg, nil), nil
}

func handleListShops(c *call) (reply, *apiError) {
	v := c.v
	terms := lowerTerms(v.str("search"))
	tiktok, hasTiktok := v.boolean("hasTikTok")
	plus, hasPlus := v.boolean("isShopifyPlus")
	minV, hasMin := v.intOK("minMonthlyVisits")
	maxV, hasMax := v.intOK("maxMonthlyVisits")
	var rows []*shop
	for _, sh := range c.s.data().shops {
		if len(terms) > 0 && matchTerms(terms, false, sh.searchText) == 0 {
			continue
		}
		if (hasTiktok && sh.hasTikTok != tiktok) || (hasPlus && sh.shopifyPlus != plus) {
			continue
		}
		if (hasMin && sh.monthlyVisits < minV) || (hasMax && sh.monthlyVisits > maxV) {
			continue
		}
		rows = append(rows, sh)
	}
	var key func(*shop) float64
	switch v.str("sortBy") {
	case "activeAds":
		key = func(sh *shop) float64 { return float64(sh.activeAds()) }
	case "growth30d":
		key = func(sh *shop) float64 { return sh.growth30d }
	case "productsCount":
		key = func(sh *shop) float64 { return float64(sh.productsCount) }
	case "createdAt":
		key = func(sh *shop) float64 { return float64(sh.createdAt.Unix()) }
	default:
		key = func(sh *shop) float64 { return float64(sh.monthlyVisits) }
	}
	sortRows(rows, v.str("order") == "asc", key, func(sh *shop) string { return sh.id })
	page, pg := byOffset(rows, v.int("offset"), v.int("limit"))
	data := make([]shopSummary, len(page))
	for i, sh := range page {
		data[i] = sh.summary()
	}
	return c.list(data, len(data), pg, nil), nil
}

func handleGetShop(c *call) (reply, *apiError) {
	id := c.path["shopId"]
	d := c.s.data()
	sh := d.shopByID[id]
	if sh == nil {
		return reply{}, notFound("No shop with id %q. Find shop ids with GET /v1/lookup or GET /v1/shops.", id)
	}
	return c.item(d.shopDetail(sh)), nil
}

func handleTiktok(c *call) (reply, *apiError) {
	v := c.v
	terms := lowerTerms(v.str("search"))
	area := v.str("searchArea")
	typ, status := v.str("type"), v.str("status")
	countries := v.strs("countries")
	tags := lowerTerms(v.strs("hashtags")...)
	handle := strings.ToLower(strings.TrimPrefix(v.str("handle"), "@"))
	domain := strings.ToLower(v.str("domain"))
	var rows []scored[*tiktokItem]
	for _, it := range c.s.data().tiktok {
		if (typ != "all" && it.row.Type != typ) || (status != "all" && it.row.Status != status) {
			continue
		}
		if handle != "" && it.handle != handle {
			continue
		}
		if domain != "" && it.domain != domain {
			continue
		}
		if len(countries) > 0 && !anyIn(it.countrySet, countries) {
			continue
		}
		if len(tags) > 0 && matchTerms(tags, false, it.hashtags) == 0 {
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
		rows = append(rows, scored[*tiktokItem]{it, s})
	}
	asc := v.str("order") == "asc"
	var key func(scored[*tiktokItem]) float64
	m := func(r scored[*tiktokItem]) *tiktokMetrics { return &r.row.row.Metrics }
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
	sortRows(rows, asc, key, func(r scored[*tiktokItem]) string { return r.row.row.ID })
	page, pg := byPage(rows, v.int("page"), v.int("limit"))
	data := make([]tiktokRow, len(page))
	for i, r := range page {
		data[i] = r.row.row
	}
	return c.list(data, len(data), pg, nil), nil
}

func handleQueryGoogle(c *call) (reply, *apiError) {
	v := c.v
	terms := lowerTerms(v.strs("search")...)
	status := v.str("status")
	networks := v.strs("networks")
	inc, exc := v.inOut("audienceCountries")
	after, hasAfter := v.time("publishedAfter")
	before, hasBefore := v.time("publishedBefore")
	minR, maxR := optInt(v, "minReach"), optInt(v, "maxReach")
	minD, maxD := optInt(v, "minDaysRunning"), optInt(v, "maxDaysRunning")
	var rows []*googleAd
	for _, g := range c.s.data().google {
		r := &g.row
		if status != "all" && r.Status != status {
			continue
		}
		if len(networks) > 0 && !contains(networks, r.Network) {
			continue
		}
		if len(inc) > 0 && !anyIn(r.Audience.Countries, inc) || anyIn(r.Audience.Countries, exc) {
			continue
		}
		if (hasAfter && g.published.Before(after)) || (hasBefore && g.published.After(before)) {
			continue
		}
		if (minR != nil && r.Reach.Value < *minR) || (maxR != nil && r.Reach.Value > *maxR) {
			continue
		}
		days := int64(r.DaysRunning)
		if (minD != nil && days < *minD) || (maxD != nil && days > *maxD) {
			continue
		}
		if len(terms) > 0 && matchTerms(terms, false, g.searchText) == 0 {
			continue
		}
		rows = append(rows, g)
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
	sortRows(rows, v.str("order") == "asc", key, func(g *googleAd) string { return g.row.ID })
	page, pg := byPage(rows, v.int("page"), v.int("limit"))
	data := make([]googleRow, len(page))
	for i, g := range page {
		data[i] = g.row
	}
	return c.list(data, len(data), pg, nil), nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func anyIn(xs, set []string) bool {
	for _, x := range xs {
		if contains(set, x) {
			return true
		}
	}
	return false
}

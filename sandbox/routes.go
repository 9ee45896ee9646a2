package sandbox

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// meterKind says how a route is charged.
type meterKind int

const (
	meterFree  meterKind = iota // no credits, no metering headers
	meterRows                   // 1 credit per returned row; reserves limit
	meterItem                   // 1 credit per returned item; reserves 1
	meterUsage                  // free, but sends X-Usage-Cost: 0 and the balance
)

// route is one operation of the API.
type route struct {
	method  string
	pattern string
	op      string // OpenAPI operationId
	segs    []string
	auth    bool
	write   bool // workspace-scoped write: full_access only
	meter   meterKind
	query   []param
	body    []param
	check   func(values) []validationError // cross-field validation
	handle  func(*call) (reply, *apiError)
}

// Enums shared by several routes.
var (
	adStatus      = []string{"active", "inactive", "all"}
	adMedia3      = []string{"image", "video", "carousel"}
	allStatus     = []string{"all", "active", "inactive"}
	allMedia      = []string{"all", "image", "video"}
	keywordModes  = []string{"any", "all"}
	queryAdsSorts = []string{"createdAt", "longestRunning", "relevance", "relevanceScore", "newest", "mostDuplicates",
		"reach", "reachDelta1d", "reachDelta7d", "reachDelta30d", "rankDelta7d", "rankDelta14d", "rankDelta30d", "adOrder"}
)

// routeTable lists every route the sandbox serves.
func routeTable() []*route {
	rs := []*route{
		{method: "GET", pattern: "/v1", op: "getApiInfo", handle: handleAPIInfo},
		{method: "GET", pattern: "/v1/health", op: "getHealth", handle: handleHealth},
		{method: "GET", pattern: "/v1/openapi.json", op: "getOpenapi", handle: handleOpenAPI},
		{method: "GET", pattern: "/v1/me", op: "getMe", auth: true, handle: handleMe},
		{method: "GET", pattern: "/v1/workspace", op: "getWorkspace", auth: true, handle: handleWorkspace},
		{method: "GET", pattern: "/v1/usage", op: "getUsage", auth: true, meter: meterUsage, handle: handleUsage},
		{method: "GET", pattern: "/v1/lookup", op: "lookup", auth: true, handle: handleLookup, query: []param{
			pRequired("q"),
			pEnum("type", "auto", "auto", "brandtracker", "advertiser", "shop"),
			pLimit(20),
		}},
		{method: "GET", pattern: "/v1/ads", op: "listAds", auth: true, meter: meterRows, handle: handleListAds, query: []param{
			{name: "search", kind: kString, required: true, alias: "query"},
			{name: "query", kind: kString, deprecated: true},
			pEnum("searchType", "adCopy", "adCopy", "brand"),
			pEnum("platform", "all", "facebook", "all"),
			pEnum("status", "all", adStatus...),
			pEnum("mediaType", "", adMedia3...),
			pEnum("sortBy", "relevance", "relevance", "newest", "longestRunning", "reach"),
			pPage(),
			pLimit(20),
		}},
		{method: "POST", pattern: "/v1/ads/query", op: "queryAds", auth: true, meter: meterRows, handle: handleQueryAds, check: checkRanges, body: []param{
			pStrings("search"),
			pEnum("searchType", "adCopy", "adCopy", "brand", "website", "domain", "urlContains"),
			pEnum("keywordMode", "any", keywordModes...),
			pEnum("sortBy", "relevance", queryAdsSorts...),
			pOrder(),
			pPage(),
			pLimit(20),
			pEnums("platforms", "facebook"),
			pEnum("mediaType", "", adMedia3...),
			pEnum("status", "all", adStatus...),
			pMin("minReach", 0), pMin("maxReach", 0),
			pMin("minDaysRunning", 0), pMin("maxDaysRunning", 0),
			pInOut("adCountries"),
		}},
		{method: "GET", pattern: "/v1/ads/{adId}", op: "getAd", auth: true, meter: meterItem, handle: handleGetAd},
		{method: "GET", pattern: "/v1/advertisers", op: "listAdvertisers", auth: true, meter: meterRows, handle: handleListAdvertisers, query: []param{
			pStrings("search"),
			pEnum("searchType", "brand", "brand", "domain"),
			pEnum("keywordMode", "any", keywordModes...),
			pEnum("sortBy", "relevance", "relevance", "newest", "activeAds", "newAds", "euAdsShare", "reach", "reach14d", "followers"),
			pOrder(),
			pOffset(),
			pLimit(20),
		}},
		{method: "GET", pattern: "/v1/advertisers/{advertiserId}", op: "getAdvertiser", auth: true, meter: meterItem, handle: handleGetAdvertiser},
		{method: "GET", pattern: "/v1/advertisers/{advertiserId}/ads", op: "listAdvertiserAds", auth: true, meter: meterRows, handle: handleListAdvertiserAds, query: []param{
			pOffset(),
			pLimit(20),
			pEnum("status", "all", allStatus...),
			pEnum("mediaType", "all", allMedia...),
			pEnum("sortBy", "newest", "newest", "createdAt", "longestRunning", "reach", "duplicates"),
			pOrder(),
			{name: "cpm", kind: kInt, min: ptr(1), max: ptr(1000), def: int64(9)},
		}},
		{method: "GET", pattern: "/v1/shops", op: "listShops", auth: true, meter: meterRows, handle: handleListShops, query: []param{
			pString("search"),
			pEnum("sortBy", "monthlyVisits", "monthlyVisits", "activeAds", "growth30d", "productsCount", "createdAt"),
			pOrder(),
			pOffset(),
			pLimit(32),
			pEnum("adsTimePeriod", "last24h", "last24h", "last7d", "last30d"),
			pBool("hasTikTok"),
			pBool("isShopifyPlus"),
			pMin("minMonthlyVisits", 0),
			pMin("maxMonthlyVisits", 0),
		}, check: checkRanges},
		{method: "GET", pattern: "/v1/shops/{shopId}", op: "getShop", auth: true, meter: meterItem, handle: handleGetShop},
		{method: "GET", pattern: "/v1/brandtrackers", op: "listBrandtrackers", auth: true, meter: meterRows, handle: handleListTrackers, query: []param{
			pPage(),
			pLimit(20),
			pString("name"),
			pDateTime("hasNewAdsSince"),
			pEnum("sortBy", "createdAt", "newAdsLastDay", "newAdsLast7Days", "newAdsLast30Days", "activeAds", "totalTraffic", "name", "createdAt"),
			pOrder(),
			pStrings("folderIds"),
		}},
		{method: "POST", pattern: "/v1/brandtrackers", op: "createBrandtracker", auth: true, write: true, handle: handleCreateTracker, check: checkCreateTracker, body: []param{
			pString("facebookPageId"),
			pString("websiteId"),
			pString("shopId"),
			pString("domain"),
			pString("folderId"),
		}},
		{method: "GET", pattern: "/v1/brandtrackers/{brandtrackerId}", op: "getBrandtracker", auth: true, meter: meterItem, handle: handleGetTracker},
		{method: "DELETE", pattern: "/v1/brandtrackers/{brandtrackerId}", op: "deleteBrandtracker", auth: true, write: true, handle: handleDeleteTracker},
		{method: "GET", pattern: "/v1/brandtrackers/{brandtrackerId}/ads", op: "listBrandtrackerAds", auth: true, meter: meterRows, handle: handleListTrackerAds, query: []param{
			pPage(),
			pLimit(20),
			pEnum("sortBy", "newest", "newest", "createdAt", "longestRunning", "reach", "duplicates", "adOrder", "relevance"),
			pOrder(),
			pEnum("status", "all", allStatus...),
			pEnum("mediaType", "all", allMedia...),
			pStrings("keywords"),
			pEnum("keywordMode", "any", keywordModes...),
		}},
		{method: "POST", pattern: "/v1/google-ads/query", op: "queryGoogleAds", auth: true, meter: meterRows, handle: handleQueryGoogle, check: checkRanges, body: []param{
			pStrings("search"),
			pEnum("status", "all", adStatus...),
			pEnums("networks", "search", "shopping", "maps", "youtube", "other"),
			pInOut("audienceCountries"),
			pDateTime("publishedAfter"), pDateTime("publishedBefore"),
			pMin("minDaysRunning", 0), pMin("maxDaysRunning", 0),
			pMin("minReach", 0), pMin("maxReach", 0),
			pEnum("sortBy", "newest", "newest", "reach", "longestRunning"),
			pOrder(),
			pPage(),
			pLimit(20),
		}},
		{method: "GET", pattern: "/v1/tiktok/library", op: "listTiktokLibrary", auth: true, meter: meterRows, handle: handleTiktok, query: []param{
			pString("search"),
			pEnum("searchArea", "all", "all", "caption", "profile", "hashtag", "music"),
			pEnum("type", "all", "all", "ad", "organic"),
			pEnum("status", "all", allStatus...),
			pCountries("countries"),
			pStrings("hashtags"),
			pString("handle"),
			pString("domain"),
			pEnum("sortBy", "relevance", "relevance", "newest", "updatedAt", "views", "likes", "comments", "shares", "saves", "engagementRate", "daysRunning", "followers"),
			pOrder(),
			pPage(),
			pLimit(20),
		}},
	}
	for _, r := range rs {
		r.segs = strings.Split(strings.TrimPrefix(r.pattern, "/"), "/")
	}
	return rs
}

// match finds the route for method and the escaped path. Path parameters
// are matched segment by segment on the escaped path and then unescaped,
// so an id holding "/" or ".." stays one id. Among routes of the method,
// the one with the most literal segments wins. allowed lists the methods of
// routes matching the path when none matches the method.
func (s *Server) match(method, escapedPath string) (rt *route, pathVals map[string]string, allowed []string) {
	segs := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	bestLiterals := -1
	for _, r := range s.routes {
		vals, literals, ok := matchSegs(r.segs, segs)
		if !ok {
			continue
		}
		if r.method != method {
			if !slices.Contains(allowed, r.method) {
				allowed = append(allowed, r.method)
			}
			continue
		}
		if literals > bestLiterals {
			rt, pathVals, bestLiterals = r, vals, literals
		}
	}
	if rt != nil {
		allowed = nil
	}
	return rt, pathVals, allowed
}

func matchSegs(pattern, segs []string) (map[string]string, int, bool) {
	if len(pattern) != len(segs) {
		return nil, 0, false
	}
	var vals map[string]string
	literals := 0
	for i, p := range pattern {
		if strings.HasPrefix(p, "{") {
			v, err := url.PathUnescape(segs[i])
			if err != nil || v == "" {
				return nil, 0, false
			}
			if vals == nil {
				vals = map[string]string{}
			}
			vals[strings.Trim(p, "{}")] = v
			continue
		}
		if p != segs[i] {
			return nil, 0, false
		}
		literals++
	}
	return vals, literals, true
}

// methodNotAllowed is the 405 answer for a known path.
func methodNotAllowed(method, path string, allowed []string) *apiError {
	slices.Sort(allowed)
	e := newError(http.StatusMethodNotAllowed, codeMethodNotAllowed,
		"Method %s is not allowed on %s; use %s.", method, path, strings.Join(allowed, " or "))
	e.header = http.Header{"Allow": {strings.Join(allowed, ", ")}}
	return e
}

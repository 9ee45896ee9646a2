package apispec

// Ads, Advertisers, Discovery, Google Ads and TikTok operations.

var (
	adStatus    = []string{"active", "inactive", "all"}
	adMedia     = []string{"image", "video", "carousel"}
	allStatus   = []string{"all", "active", "inactive"}
	allMedia    = []string{"all", "image", "video"}
	anyAll      = []string{"any", "all"}
	periods4    = []string{"total", "last24h", "last7d", "last30d"}
	adsPeriods  = []string{"last24h", "last7d", "last30d"}
	queryAdSort = []string{"createdAt", "longestRunning", "relevance", "relevanceScore", "newest", "mostDuplicates",
		"reach", "reachDelta1d", "reachDelta7d", "reachDelta30d", "rankDelta7d", "rankDelta14d", "rankDelta30d", "adOrder"}
	advertiserSort = []string{"relevance", "newest", "activeAds", "newAds", "euAdsShare", "reach", "reach14d", "followers"}
	tiktokSort     = []string{"relevance", "newest", "updatedAt", "views", "likes", "comments", "shares", "saves",
		"engagementRate", "daysRunning", "followers"}
	googleNetworks = []string{"search", "shopping", "maps", "youtube", "other"}
)

// adInvalidates are the answers a change to the workspace's favorites or
// brandtrackers can change.
var trackerReads = []string{"listBrandtrackers", "getBrandtracker", "listBrandtrackerFolders", "listWorkspaceFolders",
	"listBrandtrackerFolderBrandtrackers", "lookup", "listWorkspaceTopAds", "listWorkspaceHooks", "listWorkspaceAdCopies",
	"listWorkspaceLandingPages", "listWorkspaceScalingAds", "listWorkspaceMediaMix"}

func adsOps() []Operation {
	adID := path("adId", "Public ad id, e.g. facebook_120200000000001234.", "facebook_120200000000001234")
	return []Operation{
		{
			ID: "listAds", Method: "GET", Path: "/v1/ads", Tag: "Ads",
			Summary:     "Search Facebook ads",
			Description: "The lightweight ads collection: text or brand search with simple filters. search is required; for filtering without a text search use POST /v1/ads/query.",
			Access:      AccessKey,
			Params: concat([]Param{
				required(strMax("search", 200, "Keywords: a case-insensitive match in the ad copy, or in the brand name and domain with searchType=brand."), "coffee"),
				deprecated(strMax("query", 200, "Deprecated alias of search. Sending both search and query is a validation error."), "search"),
				enum("searchType", "adCopy", "Where to search.", "adCopy", "brand"),
				enum("platform", "all", "Platform. TikTok is not part of v1 ads.", "facebook", "all"),
			}, paged(25, 100), []Param{
				enum("status", "all", "Ad status.", adStatus...),
				enum("mediaType", "", "Media type; every type when absent.", adMedia...),
				enum("sortBy", "relevance", "Sort key (always descending here).", "relevance", "newest", "longestRunning", "reach"),
			}),
			Constraints: []Constraint{atMostOne("search", "query")},
			Paging:      PagingPage,
			Cost:        perRow("ad", 100),
			Response:    list("AdSummary"),
		},
		{
			ID: "queryAds", Method: "POST", Path: "/v1/ads/query", Tag: "Ads",
			Summary:     "Search Facebook ads with a JSON query",
			Description: "The advanced ads query: every filter is optional and an empty body is valid. Read-only despite being a POST. Answers the same ad summaries as GET /v1/ads.",
			Access:      AccessKey,
			Body: body(concat([]Param{
				withMaxItems(strs("search", "Keywords to match."), 20),
				enum("searchType", "adCopy", "Where to match the keywords; domain is an exact domain match.", "adCopy", "brand", "website", "domain", "urlContains"),
				enum("keywordMode", "any", "Whether any or all keywords must match.", anyAll...),
				enum("sortBy", "relevance", "Sort key.", queryAdSort...),
				order("desc"),
			}, paged(25, 100), []Param{
				enums("platforms", "Platforms; only facebook in v1.", "facebook"),
				enum("mediaType", "", "Media type; every type when absent.", adMedia...),
				enum("status", "all", "Ad status.", adStatus...),
				dateTime("createdAfter", "Ads created on or after this date."),
				dateTime("createdBefore", "Ads created on or before this date."),
				atLeast("minDaysRunning", 0, "Minimum days running."), atLeast("maxDaysRunning", 0, "Maximum days running."),
				atLeast("minDuplicates", 0, "Minimum duplicates."), atLeast("maxDuplicates", 0, "Maximum duplicates."),
				atLeast("minReach", 0, "Minimum reach over reachPeriod."), atLeast("maxReach", 0, "Maximum reach over reachPeriod."),
				enum("reachPeriod", "total", "Window of minReach and maxReach.", periods4...),
				atLeast("minSpend", 0, "Minimum estimated spend (EUR) over spendPeriod."), atLeast("maxSpend", 0, "Maximum estimated spend (EUR) over spendPeriod."),
				enum("spendPeriod", "total", "Window of minSpend and maxSpend.", periods4...),
				integer("cpm", i64(1), i64(1000), i64(9), "CPM in EUR used to estimate spend: estimatedSpend = round(reach x cpm / 1000)."),
				inOut("adCountries", "Targeted countries to include and exclude."),
				countries("mainCountries", "Main country of the ad (EU and UK ads only)."),
				enum("sex", "all", "Targeted gender.", "men", "women", "all"),
				integer("minAge", i64(13), i64(65), nil, "Youngest targeted age at least this."),
				integer("maxAge", i64(13), i64(65), nil, "Oldest targeted age at most this."),
				strs("adLanguage", "Ad languages (ISO 639-1)."),
				strs("cta", "Call-to-action labels, e.g. Shop Now."),
				strs("landingPages", "Landing page URL fragments."),
				strs("technologies", "Technologies of the advertiser's shop (theme, app or pixel names)."),
				boolean("hideLowReach", no, "Leave out ads with a reach under 1000."),
				strs("trackedPages", "Facebook page ids; only their ads."),
				integer("maxAdsPerBrand", i64(1), i64(100), nil, "At most this many ads per advertiser."),
				enum("spender", "", "Advertiser profile.", "big-spender", "rising-star", "brandtracker"),
				enum("adsTimePeriod", "", "Only ads created in this window.", adsPeriods...),
			})...),
			Constraints: []Constraint{ordered("minDaysRunning", "maxDaysRunning"), ordered("minDuplicates", "maxDuplicates"),
				ordered("minReach", "maxReach"), ordered("minSpend", "maxSpend"), ordered("minAge", "maxAge"), ordered("createdAfter", "createdBefore")},
			Paging:   PagingPage,
			Cost:     perRow("ad", 100),
			Response: list("AdSummary"),
		},
		{
			ID: "getAd", Method: "GET", Path: "/v1/ads/{adId}", Tag: "Ads",
			Summary:     "One ad with transcript, links, shops and page analytics",
			Description: "One ad in full: the summary fields plus transcript, creative analysis, links, linked shops and page analytics.",
			Access:      AccessKey,
			Params:      []Param{adID},
			Cost:        perItem("ad"),
			Response:    item("AdDetail"),
		},
		{
			ID: "getAdReachHistory", Method: "GET", Path: "/v1/ads/{adId}/reach-history", Tag: "Ads",
			Summary:     "Daily reach history of one ad",
			Description: "The ad's daily reach, newest day last, up to limit days ending at the latest ready snapshot date (GET /v1/system/freshness). The whole history is one series.",
			Access:      AccessKey,
			Params:      []Param{adID, integer("limit", i64(1), i64(365), i64(365), "Days of history.")},
			Cost:        fixed(1, "series"),
			Response:    list("ReachPoint"),
		},
		{
			ID: "getAdMediaUrl", Method: "GET", Path: "/v1/ads/{adId}/media-url", Tag: "Ads",
			Summary:     "A downloadable media URL for one ad",
			Description: "Resolves the ad's media to a URL. urlType public_asset is a stable Trendtrack asset; external_direct points at the platform's CDN and may expire.",
			Access:      AccessKey,
			Params:      []Param{adID},
			Cost:        perItem("ad"),
			Response:    item("AdMediaURL"),
		},
		{
			ID: "shareAd", Method: "POST", Path: "/v1/ads/{adId}/share", Tag: "Ads",
			Summary:     "Create or return the share link of an ad",
			Description: "Creates a public share link for the ad, or returns the one that already exists (created:false).",
			Access:      AccessWriter,
			Params:      []Param{adID},
			Cost:        free(),
			Write:       Write{Kind: WriteUpsert},
			Response:    upserted("Share"),
		},
		{
			ID: "listAdLandingPageFacets", Method: "GET", Path: "/v1/ads/facets/landing-pages", Tag: "Ads",
			Summary:     "Distinct landing pages of a set of ads",
			Description: "The distinct landing page URLs of the ads of some tracked pages (scopeTrackedPages) or of one domain (scopeDomain), most used first. Exactly one scope is required.",
			Access:      AccessKey,
			Params: []Param{
				strs("scopeTrackedPages", "Facebook page ids whose ads to scan."),
				example(strMax("scopeDomain", 253, "Landing page domain whose ads to scan."), "example.com"),
				enum("status", "all", "Ad status.", adStatus...),
				limitParam(25, 100),
			},
			Constraints: []Constraint{exactlyOne("scopeTrackedPages", "scopeDomain")},
			Cost:        perRow("URL", 100),
			Response:    list("LandingPageFacet"),
		},
	}
}

func advertisersOps() []Operation {
	advID := path("advertiserId", "Advertiser id: the Facebook page id.", "100000000000001")
	rangeParams := []Param{
		date("pageCreatedAfter", "Facebook page created on or after this date (inclusive)."),
		date("pageCreatedBefore", "Facebook page created on or before this date (inclusive)."),
		atLeast("minActiveAds", 0, "Minimum active ads over activeAdsPeriod."), atLeast("maxActiveAds", 0, "Maximum active ads over activeAdsPeriod."),
		enum("activeAdsPeriod", "current", "Window of the active-ads range.", "current", "last24h", "last7d", "last14d", "last30d"),
		atLeast("minLikes", 0, "Minimum Facebook likes."), atLeast("maxLikes", 0, "Maximum Facebook likes."),
		atLeast("minFollowers", 0, "Minimum Instagram followers."), atLeast("maxFollowers", 0, "Maximum Instagram followers."),
		atLeast("minAdsLaunched", 0, "Minimum ads launched in adsLaunchedPeriod."), atLeast("maxAdsLaunched", 0, "Maximum ads launched in adsLaunchedPeriod."),
		enum("adsLaunchedPeriod", "last30d", "Window of the ads-launched range.", "last24h", "last7d", "last14d", "last30d", "last90d"),
		atLeast("minReach", 0, "Minimum advertiser reach over reachPeriod."), atLeast("maxReach", 0, "Maximum advertiser reach over reachPeriod."),
		enum("reachPeriod", "last30d", "Window of the reach range.", "last24h", "last7d", "last14d", "last30d", "last90d"),
		enums("pageType", "Kind of page.", "influencer", "brand"),
		ints("categoryIds", "Shop category ids (GET /v1/facets/categories)."),
		enum("shopifyLinked", "all", "Whether the page is linked to a Shopify shop.", "yes", "no", "all"),
		enum("gender", "all", "Main audience gender.", "male", "female", "all"),
	}
	rangeRules := []Constraint{ordered("pageCreatedAfter", "pageCreatedBefore"), ordered("minActiveAds", "maxActiveAds"),
		ordered("minLikes", "maxLikes"), ordered("minFollowers", "maxFollowers"), ordered("minAdsLaunched", "maxAdsLaunched"), ordered("minReach", "maxReach")}
	return []Operation{
		{
			ID: "listAdvertisers", Method: "GET", Path: "/v1/advertisers", Tag: "Advertisers",
			Summary:     "Search advertisers (Facebook pages)",
			Description: "The lightweight advertisers collection: brand or domain search with stable scalar filters. Use POST /v1/advertisers/query for the advanced surface.",
			Access:      AccessKey,
			Params: concat([]Param{
				strs("search", "Keywords (repeated keys or comma-separated)."),
				enum("searchType", "brand", "Match the page name (brand) or the linked shop domain (domain).", "brand", "domain"),
				enum("keywordMode", "any", "Whether any or all keywords must match.", anyAll...),
				enum("sortBy", "relevance", "Sort key.", advertiserSort...),
				enum("order", "desc", "Sort direction; ignored for sortBy=relevance, which is always descending.", "asc", "desc"),
			}, offsetPaged(20, 100), rangeParams),
			Constraints: rangeRules,
			Paging:      PagingOffset,
			Cost:        perRow("advertiser", 100),
			Response:    listMeta("AdvertiserSummary", "AdvertisersMeta"),
		},
		{
			ID: "queryAdvertisers", Method: "POST", Path: "/v1/advertisers/query", Tag: "Advertisers",
			Summary:     "Search advertisers with a JSON query",
			Description: "The advanced advertisers query; an empty body is valid. Read-only despite being a POST.",
			Access:      AccessKey,
			Body: body(concat([]Param{
				withMaxItems(strs("search", "Keywords to match."), 20),
				enum("searchType", "brand", "Where to match the keywords.", "brand", "domain", "adCopy", "websiteCopy", "urlContains"),
				enum("keywordMode", "any", "Whether any or all keywords must match.", anyAll...),
				enum("sortBy", "relevance", "Sort key.", advertiserSort...),
				enum("order", "desc", "Sort direction; ignored for sortBy=relevance.", "asc", "desc"),
			}, offsetPaged(20, 100), rangeParams, []Param{
				atLeast("minSpend", 0, "Minimum estimated 30-day spend (EUR)."), atLeast("maxSpend", 0, "Maximum estimated 30-day spend (EUR)."),
				integer("cpm", i64(1), i64(1000), i64(9), "CPM in EUR used to estimate spend."),
				inOut("adCountries", "Countries the advertiser's ads target."),
				strs("pageNiches", "Niche words, e.g. coffee or skincare."),
			})...),
			Constraints: append(rangeRules, ordered("minSpend", "maxSpend")),
			Paging:      PagingOffset,
			Cost:        perRow("advertiser", 100),
			Response:    listMeta("AdvertiserSummary", "AdvertisersMeta"),
		},
		{
			ID: "getAdvertiser", Method: "GET", Path: "/v1/advertisers/{advertiserId}", Tag: "Advertisers",
			Summary:     "One advertiser with linked shops and latest ads",
			Description: "One advertiser (Facebook page) in full: profile, linked shops, country distribution and latest ads.",
			Access:      AccessKey,
			Params:      []Param{advID},
			Cost:        perItem("advertiser"),
			Response:    item("AdvertiserDetail"),
		},
		{
			ID: "listAdvertiserAds", Method: "GET", Path: "/v1/advertisers/{advertiserId}/ads", Tag: "Advertisers",
			Summary:     "Ads of one advertiser",
			Description: "The ads of one advertiser, newest first by default.",
			Access:      AccessKey,
			Params: concat([]Param{advID}, offsetPaged(25, 100), []Param{
				enum("status", "all", "Ad status.", allStatus...),
				enum("mediaType", "all", "Media type.", allMedia...),
				enum("sortBy", "newest", "Sort key.", "newest", "createdAt", "longestRunning", "reach", "duplicates"),
				order("desc"),
				integer("cpm", i64(1), i64(1000), i64(9), "CPM in EUR used to estimate spend."),
			}),
			Paging:   PagingOffset,
			Cost:     perRow("ad", 100),
			Response: list("AdSummary"),
		},
	}
}

func discoveryOps() []Operation {
	return []Operation{
		{
			ID: "lookup", Method: "GET", Path: "/v1/lookup", Tag: "Discovery",
			Summary:     "Resolve a brand, domain, page id or handle to ids",
			Description: "Resolves a brand name, shop domain or URL, Facebook page id or Instagram handle to the brandtracker, advertiser and shop ids other calls need. Exact matches (score 1) come first. Call it first whenever a user names a brand.",
			Access:      AccessKey,
			Params: []Param{
				required(strMax("q", 200, "Brand name, domain or URL, Facebook page id, or Instagram handle."), "coffee"),
				enum("type", "auto", "What to resolve to; auto tries everything.", "auto", "brandtracker", "advertiser", "shop"),
				limitParam(20, 100),
			},
			Cost:     free(),
			Response: listMeta("LookupRow", "LookupMeta"),
		},
		{
			ID: "lookupFacebookShop", Method: "GET", Path: "/v1/lookup/facebook-shop", Tag: "Discovery",
			Summary:     "Map a Facebook page to its shops, or a shop to its pages",
			Description: "Given exactly one of a Facebook page id (facebookPageId, or its spellings facebook_id and fb_page_id) or a shop id (shopId, or website_id), lists the linked pages and shops.",
			Access:      AccessKey,
			Params: []Param{
				example(str("facebookPageId", "Facebook page id."), "100000000000001"),
				str("facebook_id", "Same as facebookPageId."),
				str("fb_page_id", "Same as facebookPageId."),
				str("shopId", "Shop id."),
				str("website_id", "Same as shopId."),
				limitParam(20, 100),
			},
			Constraints: []Constraint{exactlyOne("facebook_id", "facebookPageId", "fb_page_id", "shopId", "website_id")},
			Cost:        free(),
			Response:    list("FacebookShopLink"),
		},
	}
}

func googleOps() []Operation {
	return []Operation{
		{
			ID: "queryGoogleAds", Method: "POST", Path: "/v1/google-ads/query", Tag: "Google Ads",
			Summary:     "Search Google ads",
			Description: "Searches Google ads by keywords, network, category, audience country, dates and reach. Read-only despite being a POST; an empty body is valid.",
			Access:      AccessKey,
			Body: body(concat([]Param{
				withMaxItems(strs("search", "Keywords matched in headline, description, advertiser and domain."), 20),
				enum("status", "all", "Ad status.", adStatus...),
				enums("networks", "Networks.", googleNetworks...),
				ints("categoryIds", "Google category ids (GET /v1/google-ads/facets/categories)."),
				inOut("audienceCountries", "Audience countries to include and exclude."),
				dateTime("publishedAfter", "First seen on or after."), dateTime("publishedBefore", "First seen on or before."),
				atLeast("minDaysRunning", 0, "Minimum days running."), atLeast("maxDaysRunning", 0, "Maximum days running."),
				atLeast("minReach", 0, "Minimum reach."), atLeast("maxReach", 0, "Maximum reach."),
				enum("sortBy", "newest", "Sort key.", "newest", "reach", "longestRunning"),
				order("desc"),
			}, paged(20, 100))...),
			Constraints: []Constraint{ordered("publishedAfter", "publishedBefore"), ordered("minDaysRunning", "maxDaysRunning"), ordered("minReach", "maxReach")},
			Paging:      PagingPage,
			Cost:        perRow("ad", 100),
			Response:    list("GoogleAd"),
		},
		{
			ID: "listGoogleAdsNetworks", Method: "GET", Path: "/v1/google-ads/facets/networks", Tag: "Google Ads",
			Summary:     "Google ad networks with ad counts",
			Description: "The five Google networks (search, shopping, maps, youtube, other) with their ad counts, for the networks filter.",
			Access:      AccessKey,
			Cost:        perRowFixed("network", 5),
			Response:    list("GoogleFacet"),
		},
		{
			ID: "listGoogleAdsCountries", Method: "GET", Path: "/v1/google-ads/facets/countries", Tag: "Google Ads",
			Summary:     "Audience countries of Google ads with ad counts",
			Description: "Audience countries with their Google ad counts, most ads first, for the audienceCountries filter.",
			Access:      AccessKey,
			Params:      concat([]Param{strMax("search", 100, "Case-insensitive match on the country code or name.")}, offsetPaged(25, 100)),
			Paging:      PagingOffset,
			Cost:        perRow("country", 100),
			Response:    list("GoogleFacet"),
		},
		{
			ID: "listGoogleAdsCategories", Method: "GET", Path: "/v1/google-ads/facets/categories", Tag: "Google Ads",
			Summary:     "Google ad categories with ad counts",
			Description: "Google ad categories with their ad counts, for the categoryIds filter.",
			Access:      AccessKey,
			Params:      concat([]Param{strMax("search", 100, "Case-insensitive match on the category name.")}, offsetPaged(20, 100)),
			Paging:      PagingOffset,
			Cost:        perRow("category", 100),
			Response:    list("GoogleFacet"),
		},
	}
}

func tiktokParams() []Param {
	return []Param{
		strMax("search", 200, "Keywords."),
		enum("searchArea", "all", "Where to match the keywords.", "all", "caption", "profile", "hashtag", "music"),
		enum("type", "all", "Ads, organic videos or both.", "all", "ad", "organic"),
		enum("status", "all", "Status.", allStatus...),
		enums("mediaTypes", "Media types.", "video", "image"),
		strs("languages", "Caption languages (ISO 639-1)."),
		countries("countries", "Countries (ISO 3166-1 alpha-2)."),
		strs("hashtags", "Hashtags without #."),
		str("tiktokPageId", "TikTok profile id."),
		str("handle", "TikTok handle, with or without @."),
		str("domain", "Linked shop domain."),
		dateTime("publishedAfter", "Published on or after."), dateTime("publishedBefore", "Published on or before."),
		atLeast("minViews", 0, "Minimum views."), atLeast("maxViews", 0, "Maximum views."),
		atLeast("minEngagementRate", 0, "Minimum engagement rate, in percent."), atLeast("maxEngagementRate", 0, "Maximum engagement rate, in percent."),
		enum("sortBy", "relevance", "Sort key.", tiktokSort...),
		order("desc"),
	}
}

var tiktokRules = []Constraint{ordered("publishedAfter", "publishedBefore"), ordered("minViews", "maxViews"), ordered("minEngagementRate", "maxEngagementRate")}

func tiktokOps() []Operation {
	return []Operation{
		{
			ID: "listTiktokLibrary", Method: "GET", Path: "/v1/tiktok/library", Tag: "TikTok",
			Summary:     "Search the TikTok library",
			Description: "Searches TikTok ads and organic videos by keywords, hashtags, handle, domain, country, dates and engagement.",
			Access:      AccessKey,
			Params:      concat(tiktokParams(), paged(20, 100)),
			Constraints: tiktokRules,
			Paging:      PagingPage,
			Cost:        perRow("item", 100),
			Response:    list("TiktokItem"),
		},
		{
			ID: "queryTiktokLibrary", Method: "POST", Path: "/v1/tiktok/library/query", Tag: "TikTok",
			Summary:     "Search the TikTok library with a JSON query",
			Description: "The TikTok library search with the filters in a JSON body; an empty body is valid. Read-only despite being a POST.",
			Access:      AccessKey,
			Body:        body(concat(tiktokParams(), paged(20, 100))...),
			Constraints: tiktokRules,
			Paging:      PagingPage,
			Cost:        perRow("item", 100),
			Response:    list("TiktokItem"),
		},
		{
			ID: "getTiktokItem", Method: "GET", Path: "/v1/tiktok/library/{itemId}", Tag: "TikTok",
			Summary:     "One TikTok library item",
			Description: "One TikTok ad or organic video in full, with its daily views history.",
			Access:      AccessKey,
			Params:      []Param{path("itemId", "TikTok library item id, e.g. tiktok_7200000000000000001.", "tiktok_7200000000000000001")},
			Cost:        perItem("item"),
			Response:    item("TiktokDetail"),
		},
	}
}

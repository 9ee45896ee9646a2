package tools

// Overlay entries of the Ads, Advertisers, Discovery, Google Ads and
// TikTok operations.

var discoveryOverlays = map[string]overlay{
	"GET /v1/lookup": {name: "lookup", title: "Resolve a brand to ids", toolset: ToolsetLookup, core: true,
		about: "Resolve a brand name, shop domain, URL, Instagram handle or Facebook page id to the ids other tools need (brandtracker, advertiser, shop), exact matches first. Call this first whenever the user names a brand: it is free, and it saves paid searches."},
	"GET /v1/lookup/facebook-shop": {name: "lookup_facebook_shop", title: "Facebook page to shop links", toolset: ToolsetLookup,
		about: "Map a Facebook page to the shops it advertises, or a shop to its Facebook pages: pass exactly one of facebookPageId or shopId. Free. Use it to move between get_advertiser (page ids) and get_shop (shop ids)."},
}

var adOverlays = map[string]overlay{
	"GET /v1/ads": {name: "search_ads", title: "Search Facebook ads", toolset: ToolsetAds, core: true,
		about: "Search Facebook ads by keywords in the ad copy, or by brand name and domain (searchType=brand). Returns ad summaries (id, advertiser, copy, media, reach, dates). search is required; for filters without keywords use query_ads."},
	"POST /v1/ads/query": {name: "query_ads", title: "Query Facebook ads", toolset: ToolsetAds, core: true,
		about: "Search Facebook ads with structured filters: several keywords (any/all), media type, status, creation dates, reach, spend and days-running ranges, targeted countries, age and gender, languages, CTAs, landing pages, shop technologies, and many sort keys (reach deltas, rank deltas, newest). Every filter is optional. Returns the same ad summaries as search_ads. Read-only despite being a POST."},
	"GET /v1/ads/{adId}": {name: "get_ad", title: "Get one ad", toolset: ToolsetAds, core: true,
		about: "One Facebook ad in full: copy, transcript, creative analysis (hook), links, linked shops and page analytics. Use an adId from search_ads, query_ads or any ad list."},
	"GET /v1/ads/{adId}/reach-history": {name: "get_ad_reach_history", title: "Reach history of an ad", toolset: ToolsetAds,
		about: "The daily reach of one ad ({date, reach} points, newest last) for up to limit days ending at the latest ready snapshot. Use it to see whether an ad is still scaling. The whole history is one series."},
	"GET /v1/ads/{adId}/media-url": {name: "get_ad_media_url", title: "Media URL of an ad", toolset: ToolsetAds,
		about: "A downloadable URL for an ad's image or video. urlType public_asset is a stable copy; external_direct points at the platform's CDN and may expire, so fetch it soon."},
	"POST /v1/ads/{adId}/share": {name: "share_ad", title: "Share link of an ad", toolset: ToolsetAds,
		about: "Create a public share link for an ad, or return the existing one (created=false). Safe to repeat."},
	"GET /v1/ads/facets/landing-pages": {name: "list_ad_landing_pages", title: "Landing pages of a set of ads", toolset: ToolsetAds,
		about: "The distinct landing page URLs used by the ads of some Facebook pages (scopeTrackedPages) or of one domain (scopeDomain), most used first. Pass exactly one scope. Use it to fill the landingPages filter of query_ads."},
}

var advertiserOverlays = map[string]overlay{
	"GET /v1/advertisers": {name: "search_advertisers", title: "Search advertisers", toolset: ToolsetAdvertisers, core: true,
		about: "Search advertisers (Facebook pages) by name or linked shop domain, with ranges on active ads, likes, followers, ads launched and reach. Returns advertiser summaries with ad counts, reach and latest ads. For a brand the user names, call lookup first."},
	"POST /v1/advertisers/query": {name: "query_advertisers", title: "Query advertisers", toolset: ToolsetAdvertisers,
		about: "Search advertisers with the advanced filters of search_advertisers plus ad-copy, website-copy and URL keyword matching, estimated spend, targeted countries and page niches. Every filter is optional. Read-only despite being a POST."},
	"GET /v1/advertisers/{advertiserId}": {name: "get_advertiser", title: "Get one advertiser", toolset: ToolsetAdvertisers, core: true,
		about: "One advertiser (Facebook page) in full: profile, linked shops, country distribution of its ads, and its latest ads. The advertiserId is the Facebook page id (from lookup or search_advertisers)."},
	"GET /v1/advertisers/{advertiserId}/ads": {name: "list_advertiser_ads", title: "Ads of an advertiser", toolset: ToolsetAdvertisers, core: true,
		about: "The ads of one advertiser, newest first by default, filterable by status and media type and sortable by reach, duration or duplicates."},
}

var googleOverlays = map[string]overlay{
	"POST /v1/google-ads/query": {name: "query_google_ads", title: "Search Google ads", toolset: ToolsetGoogleAds, core: true,
		about: "Search Google ads by keywords (headline, description, advertiser, domain), network, category, audience countries, dates, days running and reach. Every filter is optional. Read-only despite being a POST."},
	"GET /v1/google-ads/facets/networks": {name: "list_google_ads_networks", title: "Google ad networks", toolset: ToolsetGoogleAds,
		about: "The five Google networks (search, shopping, maps, youtube, other) with their ad counts, for the networks filter of query_google_ads."},
	"GET /v1/google-ads/facets/countries": {name: "list_google_ads_countries", title: "Google ads audience countries", toolset: ToolsetGoogleAds,
		about: "Audience countries of Google ads with their ad counts, most ads first, for the audienceCountries filter of query_google_ads."},
	"GET /v1/google-ads/facets/categories": {name: "list_google_ads_categories", title: "Google ad categories", toolset: ToolsetGoogleAds,
		about: "Google ad categories with their ad counts, for the categoryIds filter of query_google_ads."},
}

var tiktokOverlays = map[string]overlay{
	"GET /v1/tiktok/library": {name: "search_tiktok_library", title: "Search the TikTok library", toolset: ToolsetTikTok, core: true,
		about: "Search TikTok ads and organic videos by keywords, hashtags, handle, linked shop domain, country, language, dates, views and engagement rate. Returns items with media, caption, metrics and profile."},
	"POST /v1/tiktok/library/query": {name: "query_tiktok_library", title: "Query the TikTok library", toolset: ToolsetTikTok,
		about: "The same TikTok library search as search_tiktok_library with the filters in a JSON body (useful for long hashtag or language lists). Read-only despite being a POST."},
	"GET /v1/tiktok/library/{itemId}": {name: "get_tiktok_item", title: "Get one TikTok item", toolset: ToolsetTikTok, core: true,
		about: "One TikTok ad or organic video in full, with its daily views history. Use an itemId from search_tiktok_library."},
}

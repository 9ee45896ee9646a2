package tools

// overlay is what tollgate adds to one OpenAPI operation: the things a
// model and the budget controller need that the document does not say.
type overlay struct {
	name    string
	title   string
	toolset string
	cost    CostKind
	// about is the model-facing description: what the tool is for and
	// what it returns. Cost and paging lines are added from the model.
	about string
	// idempotent marks a write the API documents as safe to repeat.
	idempotent bool
	// destructive marks a write that removes something.
	destructive bool
	// hidden operations are not offered as tools.
	hidden bool
}

// overlays is keyed by operationId. An operation of the document that is
// missing here is still offered, with a name derived from its operationId
// and a conservative cost (see fallbackOverlay).
var overlays = map[string]overlay{
	"getApiInfo": {hidden: true},
	"getHealth":  {hidden: true},
	"getOpenapi": {hidden: true},

	"getMe": {name: "get_me", title: "Who am I", toolset: ToolsetAccount, cost: CostFree,
		about: "Describe the API key in use: its access level (full_access or delegated_user), expiry, workspace and delegated user."},
	"getUsage": {name: "get_usage", title: "Credit usage", toolset: ToolsetAccount, cost: CostFree,
		about: "The workspace's credit balance as the API reports it: recurring credits (limit, used, remaining), top-up balance, total remaining, and the billing period whose end is the refill date. Prefer get_budget, which adds what this session may still spend."},
	"getWorkspace": {name: "get_workspace", title: "Workspace", toolset: ToolsetWorkspace, cost: CostFree,
		about: "The workspace the API key belongs to: id, slug, name and public-API status."},

	"lookup": {name: "lookup", title: "Resolve a brand to ids", toolset: ToolsetLookup, cost: CostFree,
		about: "Resolve a brand name, shop domain, URL, Instagram handle or Facebook page id to the ids other tools need (brandtracker, advertiser, shop), best matches first. Call this first whenever the user names a brand: it is free, and it saves paid searches."},

	"listAds": {name: "search_ads", title: "Search Facebook ads", toolset: ToolsetAds, cost: CostPerRow,
		about: "Search Facebook ads by keywords in the ad copy, or by brand name and domain (searchType=brand). Returns ad summaries (id, advertiser, copy, media type, reach, dates)."},
	"queryAds": {name: "query_ads", title: "Query Facebook ads", toolset: ToolsetAds, cost: CostPerRow,
		about: "Search Facebook ads with structured filters: several keywords (any/all), platforms, media type, status, reach and days-running ranges, countries, and many sort keys. Read-only despite being a POST."},
	"getAd": {name: "get_ad", title: "Get one ad", toolset: ToolsetAds, cost: CostPerItem,
		about: "One Facebook ad in full: copy, transcript, links, shops and page analytics. Use an adId from search_ads or query_ads."},

	"listAdvertisers": {name: "search_advertisers", title: "Search advertisers", toolset: ToolsetAdvertisers, cost: CostPerRow,
		about: "Search advertisers (Facebook pages) by name or keywords. Returns advertiser summaries with their ad counts and reach."},
	"getAdvertiser": {name: "get_advertiser", title: "Get one advertiser", toolset: ToolsetAdvertisers, cost: CostPerItem,
		about: "One advertiser (Facebook page) in full, with linked shops and latest ads."},
	"listAdvertiserAds": {name: "list_advertiser_ads", title: "Ads of an advertiser", toolset: ToolsetAdvertisers, cost: CostPerRow,
		about: "The ads of one advertiser, filterable by status and media type."},

	"listShops": {name: "search_shops", title: "Search shops", toolset: ToolsetShops, cost: CostPerRow,
		about: "Search e-commerce shops by name or domain, filterable by monthly visits, TikTok presence and Shopify Plus."},
	"getShop": {name: "get_shop", title: "Get one shop", toolset: ToolsetShops, cost: CostPerItem,
		about: "One shop in full: traffic, advertising, technology and similar shops."},

	"listBrandtrackers": {name: "list_brandtrackers", title: "Tracked brands", toolset: ToolsetBrandtrackers, cost: CostPerRow,
		about: "The workspace's active brandtrackers (brands it follows)."},
	"createBrandtracker": {name: "create_brandtracker", title: "Track a brand", toolset: ToolsetBrandtrackers, cost: CostFree, idempotent: true,
		about: "Start tracking a brand by exactly one of facebookPageId, shopId (or websiteId) or domain. Idempotent: tracking an already tracked brand changes nothing and says created=false. Needs a full_access key."},
	"getBrandtracker": {name: "get_brandtracker", title: "Get one brandtracker", toolset: ToolsetBrandtrackers, cost: CostPerItem,
		about: "One active brandtracker."},
	"deleteBrandtracker": {name: "delete_brandtracker", title: "Stop tracking a brand", toolset: ToolsetBrandtrackers, cost: CostFree, idempotent: true, destructive: true,
		about: "Stop tracking a brand (the brandtracker becomes inactive; create_brandtracker reactivates it). Needs a full_access key."},
	"listBrandtrackerAds": {name: "list_brandtracker_ads", title: "Ads of a tracked brand", toolset: ToolsetBrandtrackers, cost: CostPerRow,
		about: "The ads of one tracked brand, filterable by status, media type and keywords."},

	"queryGoogleAds": {name: "query_google_ads", title: "Search Google ads", toolset: ToolsetGoogleAds, cost: CostPerRow,
		about: "Search Google ads by advertiser, domain or keywords. Read-only despite being a POST."},
	"listTiktokLibrary": {name: "search_tiktok_library", title: "Search the TikTok library", toolset: ToolsetTikTok, cost: CostPerRow,
		about: "Search the TikTok ad library by keywords, hashtags, handle, domain or country."},
}

// readOnlyPosts are POST operations that only read (query endpoints).
var readOnlyPosts = map[string]bool{"queryAds": true, "queryGoogleAds": true}

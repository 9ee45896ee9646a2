package tools

// Overlay entries of the Shops, Emails and Facets operations.

var shopOverlays = map[string]overlay{
	"GET /v1/shops": {name: "search_shops", title: "Search shops", toolset: ToolsetShops, core: true,
		about: "Search e-commerce shops by name or domain, with ranges on monthly visits, active ads, products and TikTok followers, creation dates, Shopify Plus, categories, pixels, apps, languages and currencies (ids from the facets tools). Returns shop summaries with traffic, advertising and latest ads."},
	"POST /v1/shops/query": {name: "query_shops", title: "Query shops", toolset: ToolsetShops,
		about: "Search shops with the filters of search_shops plus exact domain or product-name matching, estimated revenue, main markets and DTC region. Every filter is optional. Read-only despite being a POST."},
	"GET /v1/shops/{shopId}": {name: "get_shop", title: "Get one shop", toolset: ToolsetShops, core: true,
		about: "One shop in full: profile, Trustpilot, socials, catalog with best sellers, traffic history and top countries, advertising history, technology (theme, apps, pixels), TikTok and up to six similar shops."},
	"GET /v1/shops/{identifier}/similar": {name: "list_similar_shops", title: "Similar shops", toolset: ToolsetShops,
		about: "Shops in the same niche as one shop (by shop id or domain), most visited first: competitors of a brand. An unknown shop answers no rows with meta.shopExists=false, at no cost."},
	"GET /v1/shops/{shopId}/advertisers": {name: "list_shop_advertisers", title: "Advertisers of a shop", toolset: ToolsetShops,
		about: "The Facebook pages that advertise one shop; use their ids with get_advertiser and list_advertiser_ads."},
	"GET /v1/shops/{shopId}/products": {name: "list_shop_products", title: "Products of a shop", toolset: ToolsetShops,
		about: "A shop's catalog, most popular first by default, or by price or creation date."},
	"GET /v1/shops/{shopId}/socials/history": {name: "get_shop_social_history", title: "Social audience history of a shop", toolset: ToolsetShops,
		about: "The audience of a shop's Instagram, TikTok and Facebook accounts per day, week or month over the last days (default 30), ending at the latest ready snapshot. The whole history is one series."},
	"GET /v1/shops/{shopId}/tiktok/library": {name: "list_shop_tiktok_items", title: "TikTok items of a shop", toolset: ToolsetShops,
		about: "The TikTok ads and organic videos linked to one shop, newest first by default."},
}

var emailOverlays = map[string]overlay{
	"POST /v1/emails/query": {name: "query_emails", title: "Search marketing emails", toolset: ToolsetEmails,
		about: "Search the marketing emails shops send by keywords (subject, preheader, sender), shop ids, domains, type (promotional, newsletter, welcome, abandoned_cart, transactional), sent dates, discount and language. Every filter is optional. Read-only despite being a POST."},
	"GET /v1/emails/{emailId}": {name: "get_email", title: "Get one email", toolset: ToolsetEmails,
		about: "One marketing email with its text body and links. get_email_html returns the HTML as sent."},
	"GET /v1/emails/{emailId}/html": {name: "get_email_html", title: "HTML of one email", toolset: ToolsetEmails,
		about: "The HTML of one marketing email as sent (data.html); large. Prefer get_email unless the layout matters."},
	"GET /v1/shops/{shopId}/emails": {name: "list_shop_emails", title: "Emails of a shop", toolset: ToolsetEmails,
		about: "The marketing emails one shop sent, newest first, filterable by type."},
	"GET /v1/shops/{shopId}/emails/stats": {name: "get_shop_email_stats", title: "Email statistics of a shop", toolset: ToolsetEmails,
		about: "How many emails a shop sent in one month (YYYY-MM), by type and by weekday, and how many carried a discount: one credit for a month's email strategy."},
}

var facetOverlays = map[string]overlay{
	"GET /v1/facets/categories": {name: "list_shop_categories", title: "Shop category ids", toolset: ToolsetFacets,
		about: "Shop categories with their ids and shop counts, most used first: the categoryIds of search_shops, query_shops and search_advertisers. Filter by name with search."},
	"GET /v1/facets/shopify-apps": {name: "list_shopify_apps", title: "Shopify app ids", toolset: ToolsetFacets,
		about: "Shopify apps with their ids and shop counts, most used first: the shopifyAppIds of search_shops and query_shops. Filter by name with search."},
	"GET /v1/facets/technologies": {name: "list_shop_technologies", title: "Technology names", toolset: ToolsetFacets,
		about: "Technologies (themes, apps and pixels) with their shop counts, most used first: the technologies filter of query_ads. Filter by name with search."},
	"GET /v1/facets/pixels": {name: "list_tracking_pixels", title: "Tracking pixel ids", toolset: ToolsetFacets,
		about: "Tracking pixels with their ids and shop counts, most used first: the pixelIds of search_shops and query_shops. Filter by name with search."},
	"GET /v1/facets/themes": {name: "list_shopify_themes", title: "Shopify themes", toolset: ToolsetFacets,
		about: "Shopify themes with their ids and shop counts, most used first. Filter by name with search."},
}

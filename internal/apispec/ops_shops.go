package apispec

// Shops, Emails and Facets operations.

var (
	shopSort    = []string{"monthlyVisits", "activeAds", "growth30d", "productsCount", "createdAt", "tiktokFollowers"}
	emailTypes  = []string{"promotional", "newsletter", "welcome", "abandoned_cart", "transactional"}
	emailSort   = []string{"sentAt", "relevance"}
	shopIDParam = path("shopId", "Shop id (GET /v1/shops or GET /v1/lookup).", "100000")
)

func shopsOps() []Operation {
	shopFilters := []Param{
		atLeast("minMonthlyVisits", 0, "Minimum monthly visits."), atLeast("maxMonthlyVisits", 0, "Maximum monthly visits."),
		atLeast("minActiveAds", 0, "Minimum active ads in adsTimePeriod."), atLeast("maxActiveAds", 0, "Maximum active ads in adsTimePeriod."),
		atLeast("minProducts", 0, "Minimum products."), atLeast("maxProducts", 0, "Maximum products."),
		atLeast("minTiktokFollowers", 0, "Minimum TikTok followers."), atLeast("maxTiktokFollowers", 0, "Maximum TikTok followers."),
		enum("adsTimePeriod", "last24h", "Window of the active-ads range.", adsPeriods...),
		boolean("hasTikTok", nil, "Only shops with (true) or without (false) a TikTok account."),
		date("createdAfter", "Shop created on or after."), date("createdBefore", "Shop created on or before."),
		boolean("isShopifyPlus", nil, "Only Shopify Plus shops (true) or only others (false)."),
		ints("categoryIds", "Category ids (GET /v1/facets/categories)."),
		ints("pixelIds", "Pixel ids (GET /v1/facets/pixels)."),
		ints("shopifyAppIds", "Shopify app ids (GET /v1/facets/shopify-apps)."),
		strs("languages", "Shop languages (ISO 639-1)."),
		strs("currencies", "Shop currencies (ISO 4217)."),
		atLeast("minTrustpilotReviews", 0, "Minimum Trustpilot reviews."), atLeast("maxTrustpilotReviews", 0, "Maximum Trustpilot reviews."),
	}
	shopRules := []Constraint{ordered("minMonthlyVisits", "maxMonthlyVisits"), ordered("minActiveAds", "maxActiveAds"),
		ordered("minProducts", "maxProducts"), ordered("minTiktokFollowers", "maxTiktokFollowers"), ordered("createdAfter", "createdBefore"),
		ordered("minTrustpilotReviews", "maxTrustpilotReviews")}
	return []Operation{
		{
			ID: "listShops", Method: "GET", Path: "/v1/shops", Tag: "Shops",
			Summary:     "Search shops",
			Description: "Searches e-commerce shops by name or domain, with traffic, advertising, catalog, technology and TikTok filters.",
			Access:      AccessKey,
			Params: concat([]Param{
				strMax("search", 200, "Case-insensitive match on the shop name or domain."),
				enum("sortBy", "monthlyVisits", "Sort key.", shopSort...),
				order("desc"),
			}, offsetPaged(32, 100), shopFilters),
			Constraints: shopRules,
			Paging:      PagingOffset,
			Cost:        perRow("shop", 100),
			Response:    list("ShopSummary"),
		},
		{
			ID: "queryShops", Method: "POST", Path: "/v1/shops/query", Tag: "Shops",
			Summary:     "Search shops with a JSON query",
			Description: "The advanced shops query; an empty body is valid. searchType=domain is an exact domain match. Read-only despite being a POST.",
			Access:      AccessKey,
			Body: body(concat([]Param{
				withMaxItems(strs("search", "Keywords."), 20),
				enum("searchType", "shopContains", "Where to match: exact domain, product names, or shop name and domain.", "domain", "productName", "shopContains"),
				enum("sortBy", "monthlyVisits", "Sort key.", shopSort...),
				order("desc"),
			}, offsetPaged(32, 100), shopFilters, []Param{
				atLeast("minRevenue", 0, "Minimum estimated monthly revenue (EUR)."), atLeast("maxRevenue", 0, "Maximum estimated monthly revenue (EUR)."),
				countries("markets", "Main markets (ISO 3166-1 alpha-2)."),
				enum("dtcRegion", "", "Direct-to-consumer region.", "eu", "uk", "us", "apac", "other"),
			})...),
			Constraints: append(shopRules, ordered("minRevenue", "maxRevenue")),
			Paging:      PagingOffset,
			Cost:        perRow("shop", 100),
			Response:    list("ShopSummary"),
		},
		{
			ID: "getShop", Method: "GET", Path: "/v1/shops/{shopId}", Tag: "Shops",
			Summary:     "One shop with traffic, advertising, technology and similar shops",
			Description: "One shop in full: profile, Trustpilot, socials, catalog with best sellers, traffic history, advertising history, technology, TikTok and up to six similar shops.",
			Access:      AccessKey,
			Params:      []Param{shopIDParam},
			Cost:        perItem("shop"),
			Response:    item("ShopDetail"),
		},
		{
			ID: "listSimilarShops", Method: "GET", Path: "/v1/shops/{identifier}/similar", Tag: "Shops",
			Summary:     "Shops similar to one shop",
			Description: "Shops in the same niche as the given shop (by id or domain), most visited first. An unknown shop answers 200 with no rows and meta.shopExists false.",
			Access:      AccessKey,
			Params:      concat([]Param{path("identifier", "Shop id or domain.", "100000")}, offsetPaged(32, 100)),
			Paging:      PagingOffset,
			Cost:        perRow("shop", 100),
			Response:    listMeta("ShopSummary", "SimilarShopsMeta"),
		},
		{
			ID: "listShopAdvertisers", Method: "GET", Path: "/v1/shops/{shopId}/advertisers", Tag: "Shops",
			Summary:     "Advertisers (Facebook pages) of a shop",
			Description: "The Facebook pages that advertise the shop.",
			Access:      AccessKey,
			Params:      concat([]Param{shopIDParam}, offsetPaged(20, 100)),
			Paging:      PagingOffset,
			Cost:        perRow("advertiser", 100),
			Response:    list("AdvertiserSummary"),
		},
		{
			ID: "listShopProducts", Method: "GET", Path: "/v1/shops/{shopId}/products", Tag: "Shops",
			Summary:     "Products of a shop",
			Description: "The shop's catalog, most popular first by default.",
			Access:      AccessKey,
			Params: concat([]Param{shopIDParam}, offsetPaged(20, 100), []Param{
				enum("sortBy", "popularity", "Sort key.", "popularity", "price", "createdAt"),
				order("desc"),
			}),
			Paging:   PagingOffset,
			Cost:     perRow("product", 100),
			Response: list("ShopProduct"),
		},
		{
			ID: "getShopSocialsHistory", Method: "GET", Path: "/v1/shops/{shopId}/socials/history", Tag: "Shops",
			Summary:     "Follower history of a shop's social accounts",
			Description: "Instagram, TikTok and Facebook audience per day, week or month over the last days, ending at the latest ready snapshot date. The whole history is one series.",
			Access:      AccessKey,
			Params: []Param{shopIDParam,
				enum("period", "day", "Granularity.", "day", "week", "month"),
				integer("days", i64(1), i64(365), i64(30), "Days of history."),
			},
			Cost:     fixed(1, "series"),
			Response: list("SocialsPoint"),
		},
		{
			ID: "listShopTiktokLibrary", Method: "GET", Path: "/v1/shops/{shopId}/tiktok/library", Tag: "Shops",
			Summary:     "TikTok library items of a shop",
			Description: "TikTok ads and organic videos linked to the shop.",
			Access:      AccessKey,
			Params: concat([]Param{shopIDParam}, paged(20, 100), []Param{
				enum("type", "all", "Ads, organic videos or both.", "all", "ad", "organic"),
				enum("sortBy", "newest", "Sort key.", "newest", "views", "likes", "engagementRate"),
				order("desc"),
			}),
			Paging:   PagingPage,
			Cost:     perRow("item", 100),
			Response: list("TiktokItem"),
		},
	}
}

func emailsOps() []Operation {
	emailID := path("emailId", "Email id (a UUID from POST /v1/emails/query).", "00000000-0000-4000-8000-000000000000")
	return []Operation{
		{
			ID: "queryEmails", Method: "POST", Path: "/v1/emails/query", Tag: "Emails",
			Summary:     "Search marketing emails",
			Description: "Searches the marketing emails shops send, by keywords, shop, domain, type, date and discount. An empty body is valid. Read-only despite being a POST.",
			Access:      AccessKey,
			Body: body(concat([]Param{
				withMaxItems(strs("search", "Keywords matched in subject, preheader and sender."), 20),
				strs("shopIds", "Shop ids."),
				strs("domains", "Shop domains."),
				enums("types", "Email types.", emailTypes...),
				dateTime("sentAfter", "Sent on or after."), dateTime("sentBefore", "Sent on or before."),
				boolean("hasDiscount", nil, "Only emails with (true) or without (false) a discount."),
				strs("languages", "Languages (ISO 639-1)."),
				enum("sortBy", "sentAt", "Sort key.", emailSort...),
				order("desc"),
			}, paged(20, 100))...),
			Constraints: []Constraint{ordered("sentAfter", "sentBefore")},
			Paging:      PagingPage,
			Cost:        perRow("email", 100),
			Response:    list("Email"),
		},
		{
			ID: "getEmail", Method: "GET", Path: "/v1/emails/{emailId}", Tag: "Emails",
			Summary:     "One marketing email",
			Description: "One email with its text body and links.",
			Access:      AccessKey,
			Params:      []Param{emailID},
			Cost:        perItem("email"),
			Response:    item("EmailDetail"),
		},
		{
			ID: "getEmailHtml", Method: "GET", Path: "/v1/emails/{emailId}/html", Tag: "Emails",
			Summary:     "The HTML of one marketing email",
			Description: "The email's HTML as sent, in data.html.",
			Access:      AccessKey,
			Params:      []Param{emailID},
			Cost:        perItem("email"),
			Response:    item("EmailHTML"),
		},
		{
			ID: "listShopEmails", Method: "GET", Path: "/v1/shops/{shopId}/emails", Tag: "Emails",
			Summary:     "Marketing emails of a shop",
			Description: "The emails one shop sent, newest first by default.",
			Access:      AccessKey,
			Params: concat([]Param{shopIDParam}, paged(20, 100), []Param{
				enums("types", "Email types.", emailTypes...),
				enum("sortBy", "sentAt", "Sort key.", "sentAt"),
				order("desc"),
			}),
			Paging:   PagingPage,
			Cost:     perRow("email", 100),
			Response: list("Email"),
		},
		{
			ID: "getShopEmailStats", Method: "GET", Path: "/v1/shops/{shopId}/emails/stats", Tag: "Emails",
			Summary:     "Email statistics of a shop for one month",
			Description: "How many emails the shop sent in month, by type and by weekday, and how many carried a discount.",
			Access:      AccessKey,
			Params:      []Param{shopIDParam, required(month("month", "Month, YYYY-MM."), "2026-10")},
			Cost:        perItem("month"),
			Response:    item("EmailStats"),
		},
	}
}

func facetsOps() []Operation {
	var ops []Operation
	for _, f := range []struct{ id, path, what string }{
		{"listCategoryFacets", "categories", "shop categories"},
		{"listShopifyAppFacets", "shopify-apps", "Shopify apps"},
		{"listTechnologyFacets", "technologies", "technologies (themes, apps and pixels)"},
		{"listPixelFacets", "pixels", "tracking pixels"},
		{"listThemeFacets", "themes", "Shopify themes"},
	} {
		ops = append(ops, Operation{
			ID: f.id, Method: "GET", Path: "/v1/facets/" + f.path, Tag: "Facets",
			Summary:     "Ids of " + f.what,
			Description: "The " + f.what + " with their ids and shop counts, most used first, to fill the id filters of shop and advertiser searches.",
			Access:      AccessKey,
			Params:      concat([]Param{strMax("search", 100, "Case-insensitive match on the name.")}, offsetPaged(20, 100)),
			Paging:      PagingOffset,
			Cost:        perRow("facet", 100),
			Response:    list("Facet"),
		})
	}
	return ops
}

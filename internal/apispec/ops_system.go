package apispec

// System, Identity, Usage and Workspace operations, and the table.

import "sync"

func systemOps() []Operation {
	return []Operation{
		{
			ID: "getApiInfo", Method: "GET", Path: "/v1", Tag: "System",
			Summary:     "API name, version and status",
			Description: "A minimal bootstrap payload: the API's name, version and status. No key needed.",
			Access:      AccessPublic, Cost: free(), Response: root("APIInfo"),
		},
		{
			ID: "getHealth", Method: "GET", Path: "/v1/health", Tag: "System",
			Summary:     "Health check",
			Description: "A lightweight health payload: status, server time and uptime in seconds. No key needed.",
			Access:      AccessPublic, Cost: free(), Response: root("Health"),
		},
		{
			ID: "getOpenapi", Method: "GET", Path: "/v1/openapi.json", Tag: "System",
			Summary:     "This OpenAPI document",
			Description: "The OpenAPI 3.0 document of the API. No key needed.",
			Access:      AccessPublic, Cost: free(), Response: Response{Shape: ShapeRaw, ContentType: "application/json"},
		},
		{
			ID: "getDocs", Method: "GET", Path: "/v1/docs", Tag: "System",
			Summary:     "Human-readable API documentation",
			Description: "An HTML page that renders this OpenAPI document. No key needed.",
			Access:      AccessPublic, Cost: free(), Response: Response{Shape: ShapeRaw, ContentType: "text/html"},
		},
		{
			ID: "getSystemFreshness", Method: "GET", Path: "/v1/system/freshness", Tag: "System",
			Summary:     "Data freshness: the latest ready snapshot date",
			Description: "The latest ready and latest scheduled (indexed) snapshot dates of the data, and the lag in days. Answers stay the same until latestReadyDate changes, so call it before analytics and to know when cached answers go stale.",
			Access:      AccessKey, Cost: free(), Response: root("Freshness"),
		},
		{
			ID: "getMe", Method: "GET", Path: "/v1/me", Tag: "Identity",
			Summary:     "The calling credential, its workspace and delegated user",
			Description: "Describes the API key in use: its access level and expiry, its workspace, and the delegated user (null for full_access keys).",
			Access:      AccessKey, Cost: free(), Response: root("Me"),
		},
		{
			ID: "getUsage", Method: "GET", Path: "/v1/usage", Tag: "Usage",
			Summary:     "Credit balance and billing period",
			Description: "The workspace's credit balance: recurring credits (limit, used, remaining), top-up balance, total remaining, and the billing period whose end is the refill date. Sends X-Usage-Cost: 0 and X-Credits-Remaining.",
			Access:      AccessKey, Cost: free(), Response: root("Usage"),
		},
	}
}

func workspaceOps() []Operation {
	analytics := func(id, p, summary, desc, schema, unit string, extra ...Param) Operation {
		return Operation{
			ID: id, Method: "GET", Path: "/v1/workspace/" + p, Tag: "Workspace",
			Summary: summary, Description: desc + " Rows are nested: the brandtracker, the resource, and its metrics.",
			Access: AccessKey,
			Params: concat(paged(20, 100), []Param{
				strs("brandtrackerIds", "Only these brandtrackers."),
				ints("folderIds", "Only the brandtrackers of these folders."),
				boolean("euOnly", no, "Only ads shown in the EU."),
			}, extra),
			Paging:   PagingPage,
			Cost:     perRow(unit, 100),
			Response: list(schema),
		}
	}
	return []Operation{
		{
			ID: "getWorkspace", Method: "GET", Path: "/v1/workspace", Tag: "Workspace",
			Summary:     "The calling workspace",
			Description: "The workspace the API key belongs to, how the call authenticated, and the credential.",
			Access:      AccessKey, Cost: free(), Response: root("WorkspaceInfo"),
		},
		{
			ID: "listWorkspaceFolders", Method: "GET", Path: "/v1/workspace/folders", Tag: "Workspace",
			Summary:     "The workspace's brandtracker folders",
			Description: "The workspace's brandtracker folders, to resolve folderIds for workspace and brandtracker filters. The same list as GET /v1/brandtrackers/folders.",
			Access:      AccessKey,
			Cost:        perRowFixed("folder", 100),
			Response:    list("BrandtrackerFolder"),
		},
		analytics("listWorkspaceTopAds", "top-ads", "Current ranking of ads across the workspace's brandtrackers",
			"The canonical ranking across every brandtracker: sortBy=currentRank, rankDelta* for movers, reach or reachDelta*. period and snapshotDate are deprecated and ignored.",
			"WorkspaceTopAd", "ad",
			enum("sortBy", "currentRank", "Ranking.", topAdsSort...),
			ignored(str("period", "Deprecated and ignored.")),
			ignored(str("snapshotDate", "Deprecated and ignored."))),
		analytics("listWorkspaceHooks", "hooks", "Hooks across the workspace's brandtrackers",
			"The most used opening lines of video ads across every brandtracker.", "WorkspaceHook", "hook",
			enum("timePeriod", "last30d", "Window of ads to analyse.", timePeriods...)),
		analytics("listWorkspaceAdCopies", "ad-copies", "Ad copies across the workspace's brandtrackers",
			"The most used primary texts across every brandtracker.", "WorkspaceAdCopy", "ad copy",
			enum("timePeriod", "last30d", "Window of ads to analyse.", timePeriods...)),
		analytics("listWorkspaceLandingPages", "landing-pages", "Landing pages across the workspace's brandtrackers",
			"The most used landing pages across every brandtracker.", "WorkspaceLandingPage", "landing page",
			enum("timePeriod", "last30d", "Window of ads to analyse.", timePeriods...)),
		func() Operation {
			o := analytics("listWorkspaceScalingAds", "scaling-ads", "Legacy scaling ads across the workspace's brandtrackers",
				"Legacy compatibility endpoint; prefer top-ads?sortBy=rankDelta7d.", "WorkspaceScalingAd", "ad",
				enum("timeWindow", "last7d", "Rank-delta window.", "last7d", "last14d", "last30d"),
				ignored(str("snapshotDate", "Deprecated and ignored.")))
			o.Deprecated = true
			return o
		}(),
		analytics("listWorkspaceMediaMix", "media-mix", "Media mix of each of the workspace's brandtrackers",
			"The share of image, video and carousel ads, one row per brandtracker.", "WorkspaceMediaMix", "brandtracker",
			enum("timePeriod", "last30d", "Window of ads to analyse.", timePeriods...)),
	}
}

// table is every operation, grouped by tag in the reference's order;
// built on first use (half a millisecond and 750 KB), so that a start
// that neither runs the sandbox nor renders the document never builds it.
var table = sync.OnceValue(func() []Operation {
	return concatOps(systemOps(), adsOps(), advertisersOps(), brandtrackerOps(), discoveryOps(), emailsOps(),
		facetsOps(), favoritesOps(), googleOps(), shopsOps(), tiktokOps(), workspaceOps())
})

func concatOps(lists ...[]Operation) []Operation { return concatSized(lists) }

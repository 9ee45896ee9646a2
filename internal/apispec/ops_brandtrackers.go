package apispec

// Brandtracker operations: the workspace's tracked brands, their folders,
// and the analytics of one tracked brand.

var (
	timePeriods = []string{"live", "last24h", "last3d", "last7d", "last30d", "last3m", "last6m", "last1y"}
	trackerSort = []string{"newAdsLastDay", "newAdsLast7Days", "newAdsLast30Days", "activeAds", "totalTraffic", "name", "createdAt"}
	topAdsSort  = []string{"currentRank", "rankDelta7d", "rankDelta14d", "rankDelta30d", "reach", "reachDelta1d", "reachDelta7d",
		"reachDelta30d", "daysRunning", "duplicates"}
	groupSort = []string{"adsCount", "reach", "lastSeenAt"}
	adSort    = []string{"reach", "newest", "daysRunning"}
)

const snapshotPattern = `^([0-9]{4}-[0-9]{2}-[0-9]{2}|latest)$`

func trackerID() Param {
	return path("brandtrackerId", "Brandtracker id (brandtracker.id from GET /v1/brandtrackers or GET /v1/lookup).", "00000000-0000-4000-8000-000000000000")
}

// insight returns the parameters every brandtracker insight shares.
func insight() []Param {
	snap := str("snapshotDate", "Anchor the window on this snapshot date (YYYY-MM-DD) or latest.")
	snap.Pattern = snapshotPattern
	return []Param{
		enum("timePeriod", "last30d", "Window of ads to analyse.", timePeriods...),
		boolean("euOnly", no, "Only ads shown in the EU."),
		snap,
	}
}

func folderIDParam() Param {
	return Param{Name: "folderId", In: InPath, Type: TypeInteger, Required: true, Description: "Brandtracker folder id.", Example: int64(1), Min: i64(1)}
}

func brandtrackerOps() []Operation {
	bt := trackerID()
	listParams := concat(paged(25, 100), []Param{
		dateTime("hasNewAdsSince", "Only brandtrackers with new ads recorded on or after this time."),
		strMax("name", 200, "Case-insensitive contains match on the brandtracker name."),
		enum("sortBy", "", "Sort key: metric and createdAt sorts are descending, name ascending. Omit to keep the workspace's order.", trackerSort...),
	})
	ops := []Operation{
		{
			ID: "createBrandtracker", Method: "POST", Path: "/v1/brandtrackers", Tag: "Brandtrackers",
			Summary:     "Track a brand (idempotent)",
			Description: "Starts tracking a Facebook page or shop, given exactly one of facebookPageId, websiteId, shopId or domain. 201 created:true for a new (or reactivated) brandtracker; 200 created:false when it is already tracked, which changes nothing and costs nothing. A real create consumes one create/delete quota unit.",
			Access:      AccessWriter,
			Body: body(
				str("facebookPageId", "Facebook page id to track."),
				str("websiteId", "Shop id to track (same as shopId)."),
				str("shopId", "Shop id to track."),
				example(str("domain", "Shop domain or URL to track."), "example.com"),
				Param{Name: "folderId", Type: TypeInteger, Min: i64(1), Description: "Brandtracker folder to put it in."},
			),
			Constraints: []Constraint{exactlyOne("facebookPageId", "websiteId", "shopId", "domain")},
			Cost:        free(),
			Write:       Write{Kind: WriteUpsert, Quota: true, Invalidates: trackerReads},
			Response:    upserted("Brandtracker"),
		},
		{
			ID: "listBrandtrackers", Method: "GET", Path: "/v1/brandtrackers", Tag: "Brandtrackers",
			Summary:     "The workspace's active brandtrackers",
			Description: "The workspace's active brandtrackers (tracked brands), in the workspace's order unless sortBy is given.",
			Access:      AccessKey,
			Params: concat(listParams, []Param{
				ints("folderIds", "Folder ids (repeated keys or comma-separated)."),
				strs("folderNames", "Case-insensitive contains matches on folder names (repeated keys or comma-separated)."),
			}),
			Paging:   PagingPage,
			Cost:     perRow("brandtracker", 100),
			Response: list("Brandtracker"),
		},
		{
			ID: "getBrandtracker", Method: "GET", Path: "/v1/brandtrackers/{brandtrackerId}", Tag: "Brandtrackers",
			Summary:     "One active brandtracker",
			Description: "One active brandtracker of the workspace.",
			Access:      AccessKey,
			Params:      []Param{bt},
			Cost:        perItem("brandtracker"),
			Response:    item("Brandtracker"),
		},
		{
			ID: "deleteBrandtracker", Method: "DELETE", Path: "/v1/brandtrackers/{brandtrackerId}", Tag: "Brandtrackers",
			Summary:     "Stop tracking a brand",
			Description: "Marks the brandtracker inactive (POST /v1/brandtrackers reactivates it). Consumes one create/delete quota unit.",
			Access:      AccessWriter,
			Params:      []Param{bt},
			Cost:        free(),
			Write:       Write{Kind: WriteDelete, Quota: true, Invalidates: trackerReads},
			Response:    item("DeletedBrandtracker"),
		},
		{
			ID: "createBrandtrackerFolder", Method: "POST", Path: "/v1/brandtrackers/folders", Tag: "Brandtrackers",
			Summary:     "Create a brandtracker folder",
			Description: "Creates a folder for brandtrackers. Not idempotent: each call creates another folder. Folder mutations are metered.",
			Access:      AccessWriter,
			Body:        body(required(strMax("name", 100, "Folder name."), "Competitors")),
			Cost:        fixed(1, "mutation"),
			Write:       Write{Kind: WriteCreate, Invalidates: trackerReads},
			Response:    created("BrandtrackerFolder"),
		},
		{
			ID: "listBrandtrackerFolders", Method: "GET", Path: "/v1/brandtrackers/folders", Tag: "Brandtrackers",
			Summary:     "The workspace's brandtracker folders",
			Description: "The workspace's brandtracker folders in rank order, with their brandtracker counts, to resolve folderIds. The same list as GET /v1/workspace/folders.",
			Access:      AccessKey,
			Cost:        perRowFixed("folder", 100),
			Response:    list("BrandtrackerFolder"),
		},
		{
			ID: "updateBrandtrackerFolder", Method: "PATCH", Path: "/v1/brandtrackers/folders/{folderId}", Tag: "Brandtrackers",
			Summary:     "Rename or move a brandtracker folder",
			Description: "Renames a folder or moves it to another rank. Folder mutations are metered.",
			Access:      AccessWriter,
			Params:      []Param{folderIDParam()},
			Body: body(
				strMax("name", 100, "New name."),
				Param{Name: "rank", Type: TypeInteger, Min: i64(1), Description: "New 1-based position among the folders."},
			),
			Cost:     fixed(1, "mutation"),
			Write:    Write{Kind: WriteUpdate, Invalidates: trackerReads},
			Response: item("BrandtrackerFolder"),
		},
		{
			ID: "deleteBrandtrackerFolder", Method: "DELETE", Path: "/v1/brandtrackers/folders/{folderId}", Tag: "Brandtrackers",
			Summary:     "Delete a brandtracker folder (confirm required)",
			Description: "Deletes a folder, moving its brandtrackers to the default folder (action move-to-default) or deleting them too (action delete-brandtrackers). The body must carry confirm: true. Consumes one create/delete quota unit; nothing changes when the quota is exhausted. Folder mutations are metered.",
			Access:      AccessWriter,
			Params:      []Param{folderIDParam()},
			Body: body(
				required(enum("action", "", "What happens to the folder's brandtrackers.", "move-to-default", "delete-brandtrackers"), "move-to-default"),
				required(Param{Name: "confirm", Type: TypeBoolean, Description: "Must be true."}, true),
			),
			Cost:     fixed(1, "mutation"),
			Write:    Write{Kind: WriteDelete, Confirm: true, Quota: true, Invalidates: trackerReads},
			Response: item("DeletedBrandtrackerFolder"),
		},
		{
			ID: "listBrandtrackerFolderBrandtrackers", Method: "GET", Path: "/v1/brandtrackers/folders/{folderId}/brandtrackers", Tag: "Brandtrackers",
			Summary:     "The brandtrackers of one folder",
			Description: "The active brandtrackers of one folder, in the workspace's order unless sortBy is given.",
			Access:      AccessKey,
			Params:      concat([]Param{folderIDParam()}, listParams),
			Paging:      PagingPage,
			Cost:        perRow("brandtracker", 100),
			Response:    list("Brandtracker"),
		},
		{
			ID: "moveBrandtrackerWorkspaceLinks", Method: "PATCH", Path: "/v1/brandtrackers/workspace-links", Tag: "Brandtrackers",
			Summary:     "Move brandtrackers to a folder",
			Description: "Moves brandtrackers (by brandtrackerIds or by workspaceLinkIds, not both) to a folder, or to the root with folderId null. Reports how many were asked for, how many moved, and the ids not found. Folder mutations are metered.",
			Access:      AccessWriter,
			Body: body(
				example(withMaxItems(strs("brandtrackerIds", "Brandtracker ids."), 100), []string{"00000000-0000-4000-8000-000000000000"}),
				withMaxItems(Param{Name: "workspaceLinkIds", Type: TypeArray, Items: TypeInteger, Description: "Workspace link ids."}, 100),
				required(nullable(Param{Name: "folderId", Type: TypeInteger, Min: i64(1), Description: "Target folder id; null moves to the root."}), int64(1)),
			),
			Constraints: []Constraint{exactlyOne("brandtrackerIds", "workspaceLinkIds")},
			Cost:        fixed(1, "mutation"),
			Write:       Write{Kind: WriteUpdate, Invalidates: trackerReads},
			Response:    item("WorkspaceLinksMove"),
		},
		{
			ID: "deleteBrandtrackerWorkspaceLinks", Method: "DELETE", Path: "/v1/brandtrackers/workspace-links", Tag: "Brandtrackers",
			Summary:     "Stop tracking several brands (confirm required)",
			Description: "Deactivates several brandtrackers at once, by brandtrackerIds or by workspaceLinkIds (not both). The body must carry confirm: true. Consumes one create/delete quota unit; nothing changes when the quota is exhausted.",
			Access:      AccessWriter,
			Body: body(
				example(withMaxItems(strs("brandtrackerIds", "Brandtracker ids."), 100), []string{"00000000-0000-4000-8000-000000000000"}),
				withMaxItems(Param{Name: "workspaceLinkIds", Type: TypeArray, Items: TypeInteger, Description: "Workspace link ids."}, 100),
				required(Param{Name: "confirm", Type: TypeBoolean, Description: "Must be true."}, true),
			),
			Constraints: []Constraint{exactlyOne("brandtrackerIds", "workspaceLinkIds")},
			Cost:        free(),
			Write:       Write{Kind: WriteDelete, Confirm: true, Quota: true, Invalidates: trackerReads},
			Response:    item("WorkspaceLinksDeletion"),
		},
		{
			ID: "listBrandtrackerSnapshots", Method: "GET", Path: "/v1/brandtrackers/{brandtrackerId}/snapshots", Tag: "Brandtrackers",
			Summary:     "Daily snapshots of a tracked brand",
			Description: "One row per day up to the latest ready snapshot date: active ads, new ads, total ads and reach. Newest first unless order=asc.",
			Access:      AccessKey,
			Params:      concat([]Param{bt}, paged(100, 100), []Param{order("desc")}),
			Paging:      PagingPage,
			Cost:        perRow("snapshot", 100),
			Response:    list("Snapshot"),
		},
		{
			ID: "listBrandtrackerAds", Method: "GET", Path: "/v1/brandtrackers/{brandtrackerId}/ads", Tag: "Brandtrackers",
			Summary:     "Ads of a tracked brand",
			Description: "The ads of one tracked brand, filterable by status, media type, keywords, ranges, countries and growth.",
			Access:      AccessKey,
			Params: concat([]Param{bt}, paged(20, 100), []Param{
				enum("sortBy", "newest", "Sort key.", "newest", "createdAt", "longestRunning", "reach", "duplicates", "adOrder", "relevance"),
				order("desc"),
				enum("status", "all", "Ad status.", allStatus...),
				enum("mediaType", "all", "Media type.", allMedia...),
				strs("keywords", "Keywords matched in the ad copy."),
				enum("keywordMode", "any", "Whether any or all keywords must match.", anyAll...),
				atLeast("minReach", 0, "Minimum reach."), atLeast("maxReach", 0, "Maximum reach."),
				atLeast("minDaysRunning", 0, "Minimum days running."), atLeast("maxDaysRunning", 0, "Maximum days running."),
				atLeast("minDuplicates", 0, "Minimum duplicates."), atLeast("maxDuplicates", 0, "Maximum duplicates."),
				countries("adCountries", "Targeted countries (repeated keys or comma-separated)."),
				boolean("euOnly", no, "Only ads shown in the EU."),
				boolean("partners", no, "Only partnership (branded content) ads."),
				boolean("hideLowReach", no, "Leave out ads with a reach under 1000."),
				enums("growthRank", "Rank trend over the last 7 days.", "rising", "falling", "stable"),
				func() Param {
					p := str("snapshotDate", "Snapshot date (YYYY-MM-DD) or latest.")
					p.Pattern = snapshotPattern
					return p
				}(),
			}),
			Constraints: []Constraint{ordered("minReach", "maxReach"), ordered("minDaysRunning", "maxDaysRunning"), ordered("minDuplicates", "maxDuplicates")},
			Paging:      PagingPage,
			Cost:        perRow("ad", 100),
			Response:    list("AdSummary"),
		},
	}

	type insightSpec struct {
		id, path, summary, desc, schema, unit string
		sort                                  []string
	}
	for _, s := range []insightSpec{
		{"listBrandtrackerPartnershipAds", "partnership-ads", "Partnership ads of a tracked brand", "Ads run with a partner (branded content), with the partner page.", "PartnershipAd", "ad", []string{"newest", "reach", "daysRunning"}},
		{"listBrandtrackerHooks", "hooks", "Hooks of a tracked brand's ads", "The opening lines (hooks) of the brand's video ads, grouped, with ad counts and reach.", "Hook", "hook", groupSort},
		{"listBrandtrackerTranscripts", "transcripts", "Transcripts of a tracked brand's video ads", "The transcripts of the brand's video ads, one row per ad.", "Transcript", "transcript", adSort},
		{"listBrandtrackerHeadlines", "headlines", "Headlines of a tracked brand's ads", "The distinct headlines of the brand's ads, with ad counts and reach.", "Headline", "headline", groupSort},
		{"listBrandtrackerAdCopies", "ad-copies", "Ad copies of a tracked brand", "The distinct primary texts of the brand's ads, with ad counts and reach.", "AdCopy", "ad copy", groupSort},
		{"listBrandtrackerLandingPages", "landing-pages", "Landing pages of a tracked brand's ads", "The distinct landing pages of the brand's ads, with ad counts, reach and a screenshot.", "LandingPage", "landing page", groupSort},
		{"listBrandtrackerLandingPagesSimple", "landing-pages/simple", "Landing page URLs of a tracked brand's ads", "The distinct landing page URLs with their ad counts only.", "LandingPageSimple", "landing page", groupSort},
		{"listBrandtrackerCreatives", "creatives", "Creatives of a tracked brand", "The brand's creatives (media of its ads), one row per ad.", "Creative", "creative", adSort},
		{"listBrandtrackerPartners", "partners", "Partners of a tracked brand", "The pages the brand runs partnership ads with, with ad counts and reach.", "Partner", "partner", groupSort},
	} {
		ops = append(ops, Operation{
			ID: s.id, Method: "GET", Path: "/v1/brandtrackers/{brandtrackerId}/" + s.path, Tag: "Brandtrackers",
			Summary: s.summary, Description: s.desc,
			Access:   AccessKey,
			Params:   concat([]Param{bt}, paged(20, 100), insight(), []Param{enum("sortBy", s.sort[0], "Sort key.", s.sort...), order("desc")}),
			Paging:   PagingPage,
			Cost:     perRow(s.unit, 100),
			Response: list(s.schema),
		})
	}

	deprecatedSnap := ignored(str("snapshotDate", "Deprecated and ignored."))
	evolution := func(id, p, what, valueDesc string) Operation {
		return Operation{
			ID: id, Method: "GET", Path: "/v1/brandtrackers/{brandtrackerId}/" + p, Tag: "Brandtrackers",
			Summary:     "How a tracked brand's " + what + " evolved",
			Description: "Daily counts of the brand's ads per " + what + " over timePeriod. mode=top returns the limit most used, one series each; mode=exact returns the one series of value (exact mode costs one series). The answer's dateRange gives the window.",
			Access:      AccessKey,
			Params: concat([]Param{bt}, insight(), []Param{
				enum("mode", "top", "top: the most used ones; exact: the one given in value.", "top", "exact"),
				strMax("value", 2000, valueDesc+" Required with mode=exact."),
				integer("limit", i64(1), i64(20), i64(5), "Series to return with mode=top."),
			}),
			Constraints: []Constraint{requiredWhen("value", "mode", "exact")},
			Cost:        perSeries(20, "limit"),
			Response:    series("EvolutionSeries"),
		}
	}
	ops = append(ops,
		Operation{
			ID: "countBrandtrackerPartnershipAds", Method: "GET", Path: "/v1/brandtrackers/{brandtrackerId}/partnership-ads/count", Tag: "Brandtrackers",
			Summary:     "Count a tracked brand's partnership ads",
			Description: "How many partnership ads the brand runs, how many are active, and with how many partners.",
			Access:      AccessKey,
			Params:      concat([]Param{bt}, insight()),
			Cost:        perItem("count"),
			Response:    item("PartnershipCount"),
		},
		Operation{
			ID: "getBrandtrackerMediaMix", Method: "GET", Path: "/v1/brandtrackers/{brandtrackerId}/media-mix", Tag: "Brandtrackers",
			Summary:     "Media mix of a tracked brand",
			Description: "The share of image, video and carousel ads: always three rows.",
			Access:      AccessKey,
			Params:      concat([]Param{bt}, insight()),
			Cost:        perRowFixed("media type", 3),
			Response:    list("MediaMixRow"),
		},
		Operation{
			ID: "getBrandtrackerDemography", Method: "GET", Path: "/v1/brandtrackers/{brandtrackerId}/demography", Tag: "Brandtrackers",
			Summary:     "Audience demography of a tracked brand",
			Description: "The share of reach by gender (men, women) and age range (18-24 ... 65+): always twelve rows.",
			Access:      AccessKey,
			Params:      concat([]Param{bt}, insight()),
			Cost:        perRowFixed("segment", 12),
			Response:    list("DemographyRow"),
		},
		Operation{
			ID: "listBrandtrackerTopAds", Method: "GET", Path: "/v1/brandtrackers/{brandtrackerId}/top-ads", Tag: "Brandtrackers",
			Summary:     "Current ranking of a tracked brand's ads",
			Description: "The canonical ranking: sortBy=currentRank for the current rank, rankDelta7d|rankDelta14d|rankDelta30d for movers, reach or reachDelta* for reach. period and snapshotDate are deprecated and ignored.",
			Access:      AccessKey,
			Params: concat([]Param{bt}, paged(20, 100), []Param{
				enum("sortBy", "currentRank", "Ranking.", topAdsSort...),
				boolean("euOnly", no, "Only ads shown in the EU."),
				ignored(str("period", "Deprecated and ignored.")),
				deprecatedSnap,
			}),
			Paging:   PagingPage,
			Cost:     perRow("ad", 100),
			Response: list("TopAd"),
		},
		Operation{
			ID: "listBrandtrackerAdRank", Method: "GET", Path: "/v1/brandtrackers/{brandtrackerId}/ad-rank", Tag: "Brandtrackers",
			Summary:     "Legacy ad ranking of a tracked brand",
			Description: "Legacy compatibility endpoint; prefer top-ads. timeWindow maps to the matching rank-delta ranking; trajectory may be empty.",
			Deprecated:  true,
			Access:      AccessKey,
			Params: concat([]Param{bt}, paged(20, 100), []Param{
				enum("timeWindow", "last7d", "Rank-delta window.", "last7d", "last14d", "last30d"),
				boolean("euOnly", no, "Only ads shown in the EU."),
				deprecatedSnap,
			}),
			Paging:   PagingPage,
			Cost:     perRow("ad", 100),
			Response: list("RankedAd"),
		},
		Operation{
			ID: "listBrandtrackerScalingAds", Method: "GET", Path: "/v1/brandtrackers/{brandtrackerId}/scaling-ads", Tag: "Brandtrackers",
			Summary:     "Legacy scaling ads of a tracked brand",
			Description: "Legacy compatibility endpoint; prefer top-ads?sortBy=rankDelta7d. The ads whose rank improved most over timeWindow.",
			Deprecated:  true,
			Access:      AccessKey,
			Params: concat([]Param{bt}, paged(20, 100), []Param{
				enum("timeWindow", "last7d", "Rank-delta window.", "last7d", "last14d", "last30d"),
				boolean("euOnly", no, "Only ads shown in the EU."),
				deprecatedSnap,
			}),
			Paging:   PagingPage,
			Cost:     perRow("ad", 100),
			Response: list("RankedAd"),
		},
		evolution("getBrandtrackerAdCopyEvolution", "ad-copy-evolution", "ad copy", "The exact ad copy."),
		evolution("getBrandtrackerHeadlineEvolution", "headline-evolution", "headline", "The exact headline."),
		evolution("getBrandtrackerLandingPageEvolution", "landing-page-evolution", "landing page", "The exact landing page URL."),
		Operation{
			ID: "getBrandtrackerTimeSeries", Method: "GET", Path: "/v1/brandtrackers/{brandtrackerId}/time-series", Tag: "Brandtrackers",
			Summary:     "Daily metrics of a tracked brand",
			Description: "One daily series per requested metric over timePeriod, ending at the latest ready snapshot date.",
			Access:      AccessKey,
			Params: concat([]Param{bt}, insight(), []Param{func() Param {
				p := enums("metrics", "Metrics, one series each.", "activeAds", "newAds", "reach", "estimatedSpend")
				p.Default = []string{"activeAds", "newAds", "reach", "estimatedSpend"}
				return p
			}()}),
			Cost:     perSeries(4, ""),
			Response: series("MetricSeries"),
		},
		Operation{
			ID: "listBrandtrackerTimeline", Method: "GET", Path: "/v1/brandtrackers/{brandtrackerId}/timeline", Tag: "Brandtrackers",
			Summary:     "Timeline of a tracked brand's changes",
			Description: "Events: ads launched and stopped, landing pages added, media changed. Newest first unless order=asc.",
			Access:      AccessKey,
			Params: concat([]Param{bt}, paged(20, 100), []Param{
				enums("types", "Event types.", "ad_launched", "ad_stopped", "landing_page_added", "media_changed"),
				dateTime("since", "Only events on or after this time."),
				order("desc"),
			}),
			Paging:   PagingPage,
			Cost:     perRow("event", 100),
			Response: list("TimelineEvent"),
		},
		Operation{
			ID: "getBrandtrackerTimelineMetadata", Method: "GET", Path: "/v1/brandtrackers/{brandtrackerId}/timeline/metadata", Tag: "Brandtrackers",
			Summary:     "Summary of a tracked brand's timeline",
			Description: "The first and last event times and the number of events of each type.",
			Access:      AccessKey,
			Params:      []Param{bt},
			Cost:        perItem("summary"),
			Response:    item("TimelineMetadata"),
		},
		Operation{
			ID: "listBrandtrackerTesting", Method: "GET", Path: "/v1/brandtrackers/{brandtrackerId}/testing", Tag: "Brandtrackers",
			Summary:     "Creative tests of a tracked brand, by start date",
			Description: "Ads launched together on one day (a creative test), one start-date batch per page, newest batch first. A batch holds at most 20 ads, so a page costs at most 20 credits; meta gives the batch's start date.",
			Access:      AccessKey,
			Params: concat([]Param{bt, pageParam()}, []Param{
				enum("timePeriod", "last30d", "Window of batches.", timePeriods...),
				boolean("euOnly", no, "Only ads shown in the EU."),
			}),
			Paging:   PagingPage,
			Cost:     perRowFixed("ad", 20),
			Response: listMeta("AdSummary", "TestingMeta"),
		},
		Operation{
			ID: "getBrandtrackerOverview", Method: "GET", Path: "/v1/brandtrackers/{brandtrackerId}/overview", Tag: "Brandtrackers",
			Summary:     "Overview of a tracked brand",
			Description: "Start here for a tracked brand: the brandtracker, its advertising counts, its main landing pages, its top ads and a preview of its newest ads, in one answer.",
			Access:      AccessKey,
			Params: concat([]Param{bt}, insight(), []Param{
				integer("landingPagesLimit", i64(1), i64(20), i64(5), "Landing pages to include."),
				integer("topAdsLimit", i64(1), i64(20), i64(5), "Top ads to include."),
				integer("adsPreviewLimit", i64(1), i64(20), i64(10), "Newest ads to include."),
			}),
			Cost:     perItem("overview"),
			Response: item("Overview"),
		},
	)
	return ops
}

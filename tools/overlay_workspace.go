package tools

// Overlay entries of the System, Identity, Usage and Workspace operations.

var systemOverlays = map[string]overlay{
	"GET /v1":              {hidden: true},
	"GET /v1/health":       {hidden: true},
	"GET /v1/openapi.json": {hidden: true},
	"GET /v1/docs":         {hidden: true},

	"GET /v1/system/freshness": {name: "get_data_freshness", title: "Data freshness", toolset: ToolsetAccount,
		about: "The latest ready snapshot date of the data and how many days it lags. Answers of the analytics tools only change when latestReadyDate does: check it before comparing periods or repeating a call. Free."},
	"GET /v1/me": {name: "get_me", title: "Who am I", toolset: ToolsetAccount, core: true,
		about: "Describe the API key in use: its access level (full_access or delegated_user), expiry, workspace and delegated user. Writes need full_access; personal favorites need delegated_user."},
	"GET /v1/usage": {name: "get_usage", title: "Credit usage", toolset: ToolsetAccount, core: true,
		about: "The workspace's credit balance as the API reports it: recurring credits (limit, used, remaining), top-up balance, total remaining, and the billing period whose end is the refill date. Prefer get_budget, which adds what this session may still spend."},
}

const workspaceRows = " Rows are nested: the brandtracker, the resource and its metrics; narrow with brandtrackerIds, folderIds (list_workspace_folders) or euOnly."

var workspaceOverlays = map[string]overlay{
	"GET /v1/workspace": {name: "get_workspace", title: "Workspace", toolset: ToolsetWorkspace, core: true,
		about: "The workspace the API key belongs to: id, slug and name, how the call authenticated, and the credential."},
	"GET /v1/workspace/folders": {name: "list_workspace_folders", title: "Workspace folders", toolset: ToolsetWorkspace,
		about: "The workspace's brandtracker folders, to resolve the folderIds of the workspace tools (the same list as list_brandtracker_folders)."},
	"GET /v1/workspace/top-ads": {name: "list_workspace_top_ads", title: "Top ads across tracked brands", toolset: ToolsetWorkspace, core: true,
		about: "The canonical ranking of ads across every brand the workspace tracks: sortBy=currentRank for the current ranking, rankDelta7d/14d/30d for the ads climbing fastest, reach or reachDelta* for reach. Prefer it to the legacy list_workspace_scaling_ads." + workspaceRows},
	"GET /v1/workspace/hooks": {name: "list_workspace_hooks", title: "Hooks across tracked brands", toolset: ToolsetWorkspace,
		about: "The most used opening lines of video ads across every tracked brand, over timePeriod." + workspaceRows},
	"GET /v1/workspace/ad-copies": {name: "list_workspace_ad_copies", title: "Ad copies across tracked brands", toolset: ToolsetWorkspace,
		about: "The most used primary texts across every tracked brand, over timePeriod." + workspaceRows},
	"GET /v1/workspace/landing-pages": {name: "list_workspace_landing_pages", title: "Landing pages across tracked brands", toolset: ToolsetWorkspace,
		about: "The most used landing pages across every tracked brand, over timePeriod." + workspaceRows},
	"GET /v1/workspace/scaling-ads": {name: "list_workspace_scaling_ads", title: "Legacy scaling ads across tracked brands", toolset: ToolsetWorkspace,
		about: "Legacy list of the ads whose rank improved most across tracked brands; use list_workspace_top_ads with sortBy=rankDelta7d instead." + workspaceRows},
	"GET /v1/workspace/media-mix": {name: "list_workspace_media_mix", title: "Media mix of each tracked brand", toolset: ToolsetWorkspace,
		about: "The share of image, video and carousel ads of each tracked brand, one row per brand." + workspaceRows},
}

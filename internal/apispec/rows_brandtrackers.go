package apispec

// Response shapes of brandtrackers, their folders and analytics, and of
// the workspace analytics.

// Brandtracker is a tracked brand of the workspace.
type Brandtracker struct {
	ID               string                  `json:"id"`
	Name             string                  `json:"name"`
	FacebookPageID   *string                 `json:"facebookPageId"`
	WorkspaceLinkID  int64                   `json:"workspaceLinkId"`
	TargetType       string                  `json:"targetType" enum:"facebookPage,shop"`
	WebsiteID        *string                 `json:"websiteId" doc:"The tracked shop, for targetType shop."`
	Domain           *string                 `json:"domain" doc:"The tracked shop's domain, for targetType shop."`
	AvatarURL        *string                 `json:"avatarUrl"`
	Status           BrandtrackerStatus      `json:"status"`
	WorkspaceAddedAt DateTime                `json:"workspaceAddedAt"`
	CreatedAt        DateTime                `json:"createdAt"`
	Folder           *FolderRef              `json:"folder"`
	Advertising      BrandtrackerAdvertising `json:"advertising"`
	Websites         []TrackedWebsite        `json:"websites"`
	TotalTraffic     int64                   `json:"totalTraffic"`
}

// BrandtrackerStatus says whether the brand's data is loaded.
type BrandtrackerStatus struct {
	IsLoaded      bool     `json:"isLoaded"`
	LastCrawledAt DateTime `json:"lastCrawledAt"`
}

// FolderRef names a brandtracker folder.
type FolderRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// BrandtrackerAdvertising are a tracked brand's ad counts.
type BrandtrackerAdvertising struct {
	ActiveAds        int64 `json:"activeAds"`
	NewAdsLastDay    int64 `json:"newAdsLastDay"`
	NewAdsLast7Days  int64 `json:"newAdsLast7Days"`
	NewAdsLast30Days int64 `json:"newAdsLast30Days"`
}

// TrackedWebsite is a website of a tracked brand.
type TrackedWebsite struct {
	ID             string           `json:"id"`
	Domain         string           `json:"domain"`
	SiteName       string           `json:"siteName"`
	TrafficNumber  int64            `json:"trafficNumber"`
	TrafficChange  float64          `json:"trafficChange" doc:"Change in percent over 30 days."`
	MonthlyTraffic map[string]int64 `json:"monthlyTraffic" doc:"Visits by month, keyed YYYY-MM."`
	SocialNetworks SocialNetworks   `json:"socialNetworks"`
}

// SocialNetworks are social profile URLs.
type SocialNetworks struct {
	Facebook  *string `json:"facebook"`
	Instagram *string `json:"instagram"`
	Youtube   *string `json:"youtube"`
}

// DeletedBrandtracker is DELETE /v1/brandtrackers/{brandtrackerId}.
type DeletedBrandtracker struct {
	ID              string   `json:"id"`
	WorkspaceLinkID int64    `json:"workspaceLinkId"`
	Name            string   `json:"name"`
	Active          bool     `json:"active"`
	DeactivatedAt   DateTime `json:"deactivatedAt"`
}

// BrandtrackerFolder is a folder of brandtrackers.
type BrandtrackerFolder struct {
	ID                int64    `json:"id"`
	Name              string   `json:"name"`
	Rank              int      `json:"rank" doc:"1-based position among the folders."`
	BrandtrackerCount int64    `json:"brandtrackerCount"`
	CreatedAt         DateTime `json:"createdAt"`
}

// DeletedBrandtrackerFolder is DELETE /v1/brandtrackers/folders/{folderId}.
type DeletedBrandtrackerFolder struct {
	ID                   int64    `json:"id"`
	Action               string   `json:"action" enum:"move-to-default,delete-brandtrackers"`
	MovedBrandtrackers   int64    `json:"movedBrandtrackers"`
	DeletedBrandtrackers int64    `json:"deletedBrandtrackers"`
	DeletedAt            DateTime `json:"deletedAt"`
}

// WorkspaceLinksMove is PATCH /v1/brandtrackers/workspace-links.
type WorkspaceLinksMove struct {
	RequestedCount           int64    `json:"requestedCount"`
	AffectedCount            int64    `json:"affectedCount"`
	FolderID                 *int64   `json:"folderId" doc:"null: moved to the root."`
	NotFoundBrandtrackerIDs  []string `json:"notFoundBrandtrackerIds"`
	NotFoundWorkspaceLinkIDs []int64  `json:"notFoundWorkspaceLinkIds"`
}

// WorkspaceLinksDeletion is DELETE /v1/brandtrackers/workspace-links.
type WorkspaceLinksDeletion struct {
	RequestedCount           int64    `json:"requestedCount"`
	AffectedCount            int64    `json:"affectedCount"`
	NotFoundBrandtrackerIDs  []string `json:"notFoundBrandtrackerIds"`
	NotFoundWorkspaceLinkIDs []int64  `json:"notFoundWorkspaceLinkIds"`
	DeactivatedAt            DateTime `json:"deactivatedAt"`
}

// Snapshot is one day of a tracked brand.
type Snapshot struct {
	Date      Date  `json:"date"`
	ActiveAds int64 `json:"activeAds"`
	NewAds    int64 `json:"newAds"`
	TotalAds  int64 `json:"totalAds"`
	Reach     int64 `json:"reach"`
}

// PartnerRef names a partner page.
type PartnerRef struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	FacebookPageID string `json:"facebookPageId"`
}

// PartnershipAd is an ad run with a partner.
type PartnershipAd struct {
	AdSummary
	Partner PartnerRef `json:"partner"`
}

// PartnershipCount counts a brand's partnership ads.
type PartnershipCount struct {
	Count         int64 `json:"count"`
	ActiveCount   int64 `json:"activeCount"`
	PartnersCount int64 `json:"partnersCount"`
}

// GroupMetrics are the counts of a group of ads.
type GroupMetrics struct {
	AdsCount       int64    `json:"adsCount"`
	ActiveAdsCount int64    `json:"activeAdsCount"`
	Reach          int64    `json:"reach"`
	FirstSeenAt    DateTime `json:"firstSeenAt"`
	LastSeenAt     DateTime `json:"lastSeenAt"`
}

// Hook is an opening line shared by ads.
type Hook struct {
	Hook        string       `json:"hook"`
	ExampleAdID string       `json:"exampleAdId"`
	Metrics     GroupMetrics `json:"metrics"`
}

// Transcript is the transcript of one video ad.
type Transcript struct {
	AdID        string   `json:"adId"`
	Language    string   `json:"language"`
	Transcript  string   `json:"transcript"`
	Reach       int64    `json:"reach"`
	DaysRunning int      `json:"daysRunning"`
	CreatedAt   DateTime `json:"createdAt"`
}

// Headline is a headline shared by ads.
type Headline struct {
	Headline    string       `json:"headline"`
	ExampleAdID string       `json:"exampleAdId"`
	Metrics     GroupMetrics `json:"metrics"`
}

// AdCopy is a primary text shared by ads.
type AdCopy struct {
	AdCopy      string       `json:"adCopy"`
	ExampleAdID string       `json:"exampleAdId"`
	Metrics     GroupMetrics `json:"metrics"`
}

// LandingPage is a landing page shared by ads.
type LandingPage struct {
	LandingPageURL string       `json:"landingPageUrl"`
	Domain         string       `json:"domain"`
	ScreenshotURL  string       `json:"screenshotUrl"`
	Metrics        GroupMetrics `json:"metrics"`
}

// LandingPageSimple is a landing page URL and its ad count.
type LandingPageSimple struct {
	LandingPageURL string `json:"landingPageUrl"`
	AdsCount       int64  `json:"adsCount"`
}

// Creative is the media of one ad.
type Creative struct {
	AdID         string   `json:"adId"`
	MediaType    string   `json:"mediaType" enum:"image,video,carousel"`
	ThumbnailURL string   `json:"thumbnailUrl"`
	MediaURL     string   `json:"mediaUrl"`
	Status       string   `json:"status" enum:"active,inactive"`
	Reach        int64    `json:"reach"`
	DaysRunning  int      `json:"daysRunning"`
	CreatedAt    DateTime `json:"createdAt"`
}

// Partner is a page a brand runs partnership ads with.
type Partner struct {
	Partner PartnerRef   `json:"partner"`
	Metrics GroupMetrics `json:"metrics"`
}

// MediaMixRow is the share of one media type.
type MediaMixRow struct {
	MediaType      string  `json:"mediaType" enum:"image,video,carousel"`
	AdsCount       int64   `json:"adsCount"`
	ActiveAdsCount int64   `json:"activeAdsCount"`
	Share          float64 `json:"share" doc:"0..1 of the ads in the window."`
	Reach          int64   `json:"reach"`
}

// DemographyRow is the share of reach of one audience segment.
type DemographyRow struct {
	Gender   string  `json:"gender" enum:"men,women"`
	AgeRange string  `json:"ageRange" enum:"18-24,25-34,35-44,45-54,55-64,65+"`
	Share    float64 `json:"share" doc:"0..1 of the reach in the window."`
}

// TopAd is a row of the canonical ranking (top-ads).
type TopAd struct {
	Rank         int       `json:"rank" doc:"Position in this ranking."`
	CurrentRank  int       `json:"currentRank"`
	RankDelta7d  int       `json:"rankDelta7d"`
	RankDelta14d int       `json:"rankDelta14d"`
	RankDelta30d int       `json:"rankDelta30d"`
	Ad           AdSummary `json:"ad"`
}

// RankPoint is one day of an ad's rank.
type RankPoint struct {
	Date Date `json:"date"`
	Rank int  `json:"rank"`
}

// RankedAd is a row of the legacy ad-rank and scaling-ads endpoints.
type RankedAd struct {
	Rank       int         `json:"rank"`
	RankDelta  int         `json:"rankDelta"`
	TimeWindow string      `json:"timeWindow" enum:"last7d,last14d,last30d"`
	Trajectory []RankPoint `json:"trajectory" doc:"May be empty."`
	Ad         AdSummary   `json:"ad"`
}

// DateRange is the window of a series answer.
type DateRange struct {
	From Date `json:"from"`
	To   Date `json:"to"`
}

// EvolutionPoint is one day of an evolution series.
type EvolutionPoint struct {
	Date      Date  `json:"date"`
	AdsCount  int64 `json:"adsCount"`
	ActiveAds int64 `json:"activeAds"`
}

// EvolutionSeries is how one ad copy, headline or landing page was used
// over time.
type EvolutionSeries struct {
	Value    string           `json:"value"`
	AdsCount int64            `json:"adsCount"`
	Points   []EvolutionPoint `json:"points"`
}

// MetricPoint is one day of a metric series.
type MetricPoint struct {
	Date  Date  `json:"date"`
	Value int64 `json:"value"`
}

// MetricSeries is one metric of a tracked brand over time.
type MetricSeries struct {
	Metric string        `json:"metric" enum:"activeAds,newAds,reach,estimatedSpend"`
	Points []MetricPoint `json:"points"`
}

// TimelineEvent is a change of a tracked brand.
type TimelineEvent struct {
	ID             string   `json:"id"`
	Type           string   `json:"type" enum:"ad_launched,ad_stopped,landing_page_added,media_changed"`
	OccurredAt     DateTime `json:"occurredAt"`
	AdID           *string  `json:"adId"`
	LandingPageURL *string  `json:"landingPageUrl"`
	Description    string   `json:"description"`
}

// TimelineMetadata summarises a timeline.
type TimelineMetadata struct {
	FirstEventAt *DateTime        `json:"firstEventAt"`
	LastEventAt  *DateTime        `json:"lastEventAt"`
	TotalEvents  int64            `json:"totalEvents"`
	EventCounts  map[string]int64 `json:"eventCounts" doc:"Events by type."`
}

// TestingMeta is the meta of a testing batch.
type TestingMeta struct {
	BatchStartDate *Date `json:"batchStartDate" doc:"null past the last batch."`
	AdsInBatch     int64 `json:"adsInBatch"`
}

// Overview is GET /v1/brandtrackers/{brandtrackerId}/overview.
type Overview struct {
	Brandtracker Brandtracker        `json:"brandtracker"`
	Advertising  OverviewAdvertising `json:"advertising"`
	LandingPages []LandingPage       `json:"landingPages"`
	TopAds       []TopAd             `json:"topAds"`
	AdsPreview   []AdSummary         `json:"adsPreview"`
}

// OverviewAdvertising are a tracked brand's counts in the window.
type OverviewAdvertising struct {
	ActiveAds        int64 `json:"activeAds"`
	NewAdsLast7Days  int64 `json:"newAdsLast7Days"`
	NewAdsLast30Days int64 `json:"newAdsLast30Days"`
	AdsInWindow      int64 `json:"adsInWindow"`
	Reach            int64 `json:"reach"`
}

// BrandtrackerRef names a brandtracker in a workspace analytics row.
type BrandtrackerRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// RankMetrics are an ad's rank figures.
type RankMetrics struct {
	Rank         int   `json:"rank"`
	CurrentRank  int   `json:"currentRank"`
	RankDelta7d  int   `json:"rankDelta7d"`
	RankDelta14d int   `json:"rankDelta14d"`
	RankDelta30d int   `json:"rankDelta30d"`
	Reach        int64 `json:"reach"`
}

// WorkspaceTopAd is a row of GET /v1/workspace/top-ads.
type WorkspaceTopAd struct {
	Brandtracker BrandtrackerRef `json:"brandtracker"`
	Ad           AdSummary       `json:"ad"`
	Metrics      RankMetrics     `json:"metrics"`
}

// TextRef is a piece of text.
type TextRef struct {
	Text string `json:"text"`
}

// WorkspaceHook is a row of GET /v1/workspace/hooks.
type WorkspaceHook struct {
	Brandtracker BrandtrackerRef `json:"brandtracker"`
	Hook         TextRef         `json:"hook"`
	Metrics      GroupMetrics    `json:"metrics"`
}

// WorkspaceAdCopy is a row of GET /v1/workspace/ad-copies.
type WorkspaceAdCopy struct {
	Brandtracker BrandtrackerRef `json:"brandtracker"`
	AdCopy       TextRef         `json:"adCopy"`
	Metrics      GroupMetrics    `json:"metrics"`
}

// URLRef is a URL and its domain.
type URLRef struct {
	URL    string `json:"url"`
	Domain string `json:"domain"`
}

// WorkspaceLandingPage is a row of GET /v1/workspace/landing-pages.
type WorkspaceLandingPage struct {
	Brandtracker BrandtrackerRef `json:"brandtracker"`
	LandingPage  URLRef          `json:"landingPage"`
	Metrics      GroupMetrics    `json:"metrics"`
}

// ScalingMetrics are an ad's rank movement.
type ScalingMetrics struct {
	Rank       int    `json:"rank"`
	RankDelta  int    `json:"rankDelta"`
	TimeWindow string `json:"timeWindow" enum:"last7d,last14d,last30d"`
}

// WorkspaceScalingAd is a row of GET /v1/workspace/scaling-ads.
type WorkspaceScalingAd struct {
	Brandtracker BrandtrackerRef `json:"brandtracker"`
	Ad           AdSummary       `json:"ad"`
	Metrics      ScalingMetrics  `json:"metrics"`
}

// MediaShares are the shares (0..1) of each media type.
type MediaShares struct {
	Image    float64 `json:"image"`
	Video    float64 `json:"video"`
	Carousel float64 `json:"carousel"`
}

// MixMetrics are the ad counts behind a media mix.
type MixMetrics struct {
	AdsCount       int64 `json:"adsCount"`
	ActiveAdsCount int64 `json:"activeAdsCount"`
}

// WorkspaceMediaMix is a row of GET /v1/workspace/media-mix.
type WorkspaceMediaMix struct {
	Brandtracker BrandtrackerRef `json:"brandtracker"`
	MediaMix     MediaShares     `json:"mediaMix"`
	Metrics      MixMetrics      `json:"metrics"`
}

package apispec

// Response shapes of ads, advertisers, Google ads and TikTok. Each named
// struct is a component schema of the document (see schema.go for the
// tags); the sandbox answers with these very types.

// DateTime is an ISO 8601 UTC time, e.g. 2026-11-19T00:00:00.000Z.
type DateTime string

// Date is a calendar day, YYYY-MM-DD.
type Date string

// AdSummary is PublicApiAdSummaryDto, the row of every ad collection.
type AdSummary struct {
	ID          string       `json:"id" doc:"Composite ad id, e.g. facebook_120200000000001234."`
	CollationID *string      `json:"collationId"`
	Platform    string       `json:"platform" enum:"facebook"`
	Status      string       `json:"status" enum:"active,inactive,unknown"`
	CreatedAt   DateTime     `json:"createdAt"`
	FirstSeenAt DateTime     `json:"firstSeenAt"`
	LastSeenAt  DateTime     `json:"lastSeenAt"`
	DaysRunning int          `json:"daysRunning"`
	Media       AdMedia      `json:"media"`
	Advertiser  AdAdvertiser `json:"advertiser"`
	Content     AdContent    `json:"content"`
	Metrics     AdMetrics    `json:"metrics"`
	Audience    AdAudience   `json:"audience"`
	Rank        AdRank       `json:"rank"`
	Flags       AdFlags      `json:"flags"`
}

// AdMedia is an ad's creative.
type AdMedia struct {
	Type         string `json:"type" enum:"image,video,carousel,unknown"`
	ThumbnailURL string `json:"thumbnailUrl"`
	MediaURL     string `json:"mediaUrl"`
}

// AdAdvertiser is the advertiser embedded in an ad.
type AdAdvertiser struct {
	ID                 string `json:"id"`
	Name               string `json:"name"`
	LogoURL            string `json:"logoUrl"`
	FacebookPageID     string `json:"facebookPageId"`
	LiveAdsCount       int64  `json:"liveAdsCount"`
	Reach30d           int64  `json:"reach30d"`
	TotalReach         int64  `json:"totalReach"`
	CountriesCount     int    `json:"countriesCount"`
	FacebookLikes      int64  `json:"facebookLikes"`
	InstagramFollowers int64  `json:"instagramFollowers"`
}

// AdContent is an ad's copy and destination.
type AdContent struct {
	Title              string  `json:"title"`
	Body               string  `json:"body"`
	Transcript         *string `json:"transcript"`
	CallToAction       string  `json:"callToAction"`
	LandingPageURL     string  `json:"landingPageUrl"`
	LandingPageDomain  string  `json:"landingPageDomain"`
	CtaDescription     string  `json:"ctaDescription"`
	CtaLinkDescription string  `json:"ctaLinkDescription"`
	Language           string  `json:"language" doc:"ISO 639-1 language of the copy."`
}

// AdMetrics are an ad's reach and spend. estimatedSpend = round(reach x
// cpm / 1000) in EUR.
type AdMetrics struct {
	Reach           int64 `json:"reach"`
	AggregatedReach int64 `json:"aggregatedReach"`
	EstimatedSpend  int64 `json:"estimatedSpend"`
	Duplicates      int64 `json:"duplicates"`
	ReachDelta1d    int64 `json:"reachDelta1d"`
	ReachDelta7d    int64 `json:"reachDelta7d"`
	ReachDelta30d   int64 `json:"reachDelta30d"`
}

// AdAudience is an ad's targeting.
type AdAudience struct {
	TargetedCountries []string `json:"targetedCountries"`
	MainCountry       string   `json:"mainCountry"`
	Gender            string   `json:"gender" enum:"men,women,all"`
	AgeMin            int      `json:"ageMin"`
	AgeMax            int      `json:"ageMax"`
}

// AdRank is an ad's position in its page's ranking.
type AdRank struct {
	PositionInPage int     `json:"positionInPage"`
	CurrentRank    int     `json:"currentRank"`
	RankDelta      int     `json:"rankDelta"`
	ImprovementPct float64 `json:"improvementPct"`
}

// AdFlags are booleans about an ad.
type AdFlags struct {
	IsEuAd          bool `json:"isEuAd"`
	IsLowReach      bool `json:"isLowReach"`
	IsMediaChanged  bool `json:"isMediaChanged"`
	HasPartnerBadge bool `json:"hasPartnerBadge"`
}

// AdDetail is GET /v1/ads/{adId}.
type AdDetail struct {
	AdSummary
	Transcript       *AdTranscript    `json:"transcript"`
	CreativeAnalysis CreativeAnalysis `json:"creativeAnalysis"`
	Links            AdLinks          `json:"links"`
	Shops            []LinkedShop     `json:"shops"`
	PageAnalytics    PageAnalytics    `json:"pageAnalytics"`
}

// AdTranscript is the transcript of a video ad.
type AdTranscript struct {
	Language string              `json:"language"`
	Segments []TranscriptSegment `json:"segments"`
	FullText string              `json:"fullText"`
}

// TranscriptSegment is a timed part of a transcript.
type TranscriptSegment struct {
	Start float64 `json:"start" doc:"Seconds from the start."`
	End   float64 `json:"end"`
	Text  string  `json:"text"`
}

// CreativeAnalysis is what the creative opens with.
type CreativeAnalysis struct {
	Hook string `json:"hook"`
}

// AdLinks are an ad's outbound links.
type AdLinks struct {
	AdLibraryURL   string `json:"adLibraryUrl"`
	LandingPageURL string `json:"landingPageUrl"`
}

// LinkedShop is a shop linked to an ad or advertiser.
type LinkedShop struct {
	ShopID     string   `json:"shopId"`
	Domain     string   `json:"domain"`
	Name       string   `json:"name"`
	IsPrimary  bool     `json:"isPrimary"`
	Traffic    *int64   `json:"traffic,omitempty"`
	Categories []string `json:"categories,omitempty"`
}

// PageAnalytics are the advertiser page's recent history.
type PageAnalytics struct {
	ReachHistory     []DatedValue `json:"reachHistory"`
	ActiveAdsHistory []DatedValue `json:"activeAdsHistory"`
}

// DatedValue is one point of a history.
type DatedValue struct {
	Date  string `json:"date" doc:"YYYY-MM-DD, or YYYY-MM for monthly histories."`
	Value int64  `json:"value"`
}

// ReachPoint is one day of GET /v1/ads/{adId}/reach-history.
type ReachPoint struct {
	Date  Date  `json:"date"`
	Reach int64 `json:"reach"`
}

// AdMediaURL is GET /v1/ads/{adId}/media-url.
type AdMediaURL struct {
	AdID           string    `json:"adId"`
	MediaType      string    `json:"mediaType" enum:"image,video,carousel"`
	URL            string    `json:"url"`
	URLType        string    `json:"urlType" enum:"public_asset,external_direct" doc:"external_direct URLs may expire."`
	SelectedSource string    `json:"selectedSource" enum:"asset_store,platform_cdn"`
	MediaURL       string    `json:"mediaUrl"`
	ThumbnailURL   string    `json:"thumbnailUrl"`
	Filename       string    `json:"filename"`
	ExpiresAt      *DateTime `json:"expiresAt"`
}

// Share is a public share link (of an ad or a favorites folder).
type Share struct {
	ID           string   `json:"id"`
	ResourceType string   `json:"resourceType" enum:"ad,favorite_ad_folder"`
	ResourceID   string   `json:"resourceId"`
	URL          string   `json:"url"`
	CreatedAt    DateTime `json:"createdAt"`
}

// LandingPageFacet is a row of GET /v1/ads/facets/landing-pages.
type LandingPageFacet struct {
	LandingPageURL string `json:"landingPageUrl"`
	Domain         string `json:"domain"`
	AdsCount       int64  `json:"adsCount"`
	ActiveAdsCount int64  `json:"activeAdsCount"`
}

// AdvertiserSummary is a row of the advertiser collections.
type AdvertiserSummary struct {
	ID               string            `json:"id" doc:"The Facebook page id."`
	Platform         string            `json:"platform" enum:"facebook"`
	FacebookPageID   string            `json:"facebookPageId"`
	Name             string            `json:"name"`
	LogoURL          string            `json:"logoUrl"`
	Profile          AdvertiserProfile `json:"profile"`
	Advertising      AdvertiserAds     `json:"advertising"`
	LastAds          []AdThumb         `json:"lastAds"`
	MainLandingPages []LandingPageShot `json:"mainLandingPages"`
}

// AdvertiserProfile is a page's audience.
type AdvertiserProfile struct {
	Likes              int64    `json:"likes"`
	InstagramFollowers int64    `json:"instagramFollowers"`
	InstagramHandle    string   `json:"instagramHandle"`
	CreatedAt          DateTime `json:"createdAt"`
	PageType           string   `json:"pageType" enum:"brand,influencer"`
}

// AdvertiserAds are a page's advertising counts.
type AdvertiserAds struct {
	ActiveAds           int64          `json:"activeAds"`
	Reach30d            int64          `json:"reach30d"`
	CountryDistribution []CountryShare `json:"countryDistribution,omitempty"`
}

// CountryShare is a country and its share (0..1).
type CountryShare struct {
	Country string  `json:"country"`
	Share   float64 `json:"share"`
}

// AdThumb is a small reference to an ad.
type AdThumb struct {
	ID           string `json:"id"`
	MediaURL     string `json:"mediaUrl"`
	ThumbnailURL string `json:"thumbnailUrl"`
}

// LandingPageShot is a landing page and its screenshot.
type LandingPageShot struct {
	LandingPage   string `json:"landingPage"`
	ScreenshotURL string `json:"screenshotUrl"`
}

// AdvertisersMeta is the meta of the advertiser collections.
type AdvertisersMeta struct {
	IsTruncated bool `json:"isTruncated" doc:"true when the match set was cut before ranking."`
}

// AdvertiserDetail is GET /v1/advertisers/{advertiserId}.
type AdvertiserDetail struct {
	ID             string            `json:"id"`
	Platform       string            `json:"platform" enum:"facebook"`
	FacebookPageID string            `json:"facebookPageId"`
	Name           string            `json:"name"`
	LogoURL        string            `json:"logoUrl"`
	Profile        AdvertiserProfile `json:"profile"`
	LinkedShops    []LinkedShop      `json:"linkedShops"`
	Advertising    AdvertiserAds     `json:"advertising"`
	LastAds        []AdSummary       `json:"lastAds"`
}

// GoogleAd is a row of POST /v1/google-ads/query.
type GoogleAd struct {
	ID          string           `json:"id"`
	GoogleAdID  string           `json:"googleAdId"`
	Status      string           `json:"status" enum:"active,inactive"`
	Network     string           `json:"network" enum:"search,shopping,maps,youtube,other"`
	FirstSeenAt DateTime         `json:"firstSeenAt"`
	LastSeenAt  DateTime         `json:"lastSeenAt"`
	DaysRunning int              `json:"daysRunning"`
	Media       GoogleMedia      `json:"media"`
	Advertiser  GoogleAdvertiser `json:"advertiser"`
	Reach       GoogleReach      `json:"reach"`
	Audience    GoogleAudience   `json:"audience"`
}

// GoogleMedia is a Google ad's creative.
type GoogleMedia struct {
	Type        string  `json:"type" enum:"text,image,video"`
	Headline    string  `json:"headline"`
	Description string  `json:"description"`
	ImageURL    *string `json:"imageUrl"`
	VideoURL    *string `json:"videoUrl"`
}

// GoogleAdvertiser is a Google advertiser.
type GoogleAdvertiser struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Domain   string `json:"domain"`
	Verified bool   `json:"verified"`
}

// GoogleReach is a reach estimate with bounds.
type GoogleReach struct {
	Value      int64 `json:"value"`
	LowerBound int64 `json:"lowerBound"`
	UpperBound int64 `json:"upperBound"`
}

// GoogleAudience is a Google ad's audience.
type GoogleAudience struct {
	Countries   []string `json:"countries"`
	CategoryIDs []int64  `json:"categoryIds"`
}

// GoogleFacet is a row of the Google Ads facets.
type GoogleFacet struct {
	ID       string `json:"id" doc:"The value to filter with (network name, country code or category id)."`
	Name     string `json:"name"`
	AdsCount int64  `json:"adsCount"`
}

// TiktokItem is a row of the TikTok library.
type TiktokItem struct {
	ID          string        `json:"id"`
	TiktokID    string        `json:"tiktokId"`
	Type        string        `json:"type" enum:"ad,organic"`
	Status      string        `json:"status" enum:"active,inactive"`
	DaysRunning int           `json:"daysRunning"`
	CreatedAt   DateTime      `json:"createdAt"`
	UpdatedAt   DateTime      `json:"updatedAt"`
	Media       TiktokMedia   `json:"media"`
	Content     TiktokContent `json:"content"`
	Metrics     TiktokMetrics `json:"metrics"`
	Profile     TiktokProfile `json:"profile"`
	Shop        *ShopRef      `json:"shop"`
	Countries   []string      `json:"countries"`
}

// TiktokMedia is a TikTok item's media.
type TiktokMedia struct {
	Type            string `json:"type" enum:"video,image"`
	ThumbnailURL    string `json:"thumbnailUrl"`
	VideoURL        string `json:"videoUrl"`
	DurationSeconds int    `json:"durationSeconds"`
}

// TiktokContent is a TikTok item's caption.
type TiktokContent struct {
	Caption  string      `json:"caption"`
	Hashtags []string    `json:"hashtags"`
	Music    TiktokMusic `json:"music"`
	Language string      `json:"language"`
}

// TiktokMusic is a TikTok sound.
type TiktokMusic struct {
	Title  string `json:"title"`
	Author string `json:"author"`
}

// TiktokMetrics are a TikTok item's engagement; engagementRate is in percent.
type TiktokMetrics struct {
	Views          int64   `json:"views"`
	Likes          int64   `json:"likes"`
	Comments       int64   `json:"comments"`
	Shares         int64   `json:"shares"`
	Saves          int64   `json:"saves"`
	EngagementRate float64 `json:"engagementRate"`
}

// TiktokProfile is a TikTok account.
type TiktokProfile struct {
	ID        string `json:"id"`
	Handle    string `json:"handle"`
	Nickname  string `json:"nickname"`
	Followers int64  `json:"followers"`
	Verified  bool   `json:"verified"`
}

// TiktokDetail is GET /v1/tiktok/library/{itemId}.
type TiktokDetail struct {
	TiktokItem
	ViewsHistory []DatedValue `json:"viewsHistory"`
}

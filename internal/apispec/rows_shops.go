package apispec

// Response shapes of shops, emails, facets, favorites and discovery.

// ShopRef names a shop.
type ShopRef struct {
	ID     string `json:"id"`
	Domain string `json:"domain"`
	Name   string `json:"name"`
}

// ShopSummary is a row of the shop collections.
type ShopSummary struct {
	ID            string          `json:"id"`
	Domain        string          `json:"domain"`
	Name          string          `json:"name"`
	ScreenshotURL string          `json:"screenshotUrl"`
	CreatedAt     DateTime        `json:"createdAt"`
	Profile       ShopProfile     `json:"profile"`
	Catalog       ShopCatalog     `json:"catalog"`
	Traffic       ShopTraffic     `json:"traffic"`
	Advertising   ShopAdvertising `json:"advertising"`
	Tiktok        ShopTiktok      `json:"tiktok"`
	GoogleAds     *ShopGoogleAds  `json:"googleAds,omitempty"`
	LatestAds     []LatestAd      `json:"latestAds" doc:"At most 3."`
}

// ShopProfile is a shop's locale and category.
type ShopProfile struct {
	Country       string   `json:"country"`
	Language      string   `json:"language"`
	Currency      string   `json:"currency"`
	IsShopifyPlus bool     `json:"isShopifyPlus"`
	Categories    []string `json:"categories"`
}

// ShopCatalog is a shop's products.
type ShopCatalog struct {
	ProductsCount int64        `json:"productsCount"`
	AveragePrice  float64      `json:"averagePrice"`
	BestSellers   []BestSeller `json:"bestSellers,omitempty" doc:"At most 3 (detail only)."`
}

// BestSeller is one of a shop's best-selling products.
type BestSeller struct {
	Title string  `json:"title"`
	Price float64 `json:"price"`
	URL   string  `json:"url"`
}

// ShopTraffic is a shop's traffic.
type ShopTraffic struct {
	MonthlyVisits int64          `json:"monthlyVisits"`
	Growth30d     float64        `json:"growth30d"`
	Growth90d     *float64       `json:"growth90d,omitempty"`
	Growth180d    *float64       `json:"growth180d,omitempty"`
	History       []DatedValue   `json:"history,omitempty" doc:"At most 6 months (detail only)."`
	TopCountries  []CountryShare `json:"topCountries,omitempty"`
}

// ShopAdvertising is a shop's Meta advertising.
type ShopAdvertising struct {
	ActiveAds         int64            `json:"activeAds"`
	LinkedAdvertisers []ShopAdvertiser `json:"linkedAdvertisers,omitempty"`
	History           []DatedValue     `json:"history,omitempty" doc:"At most 26 weeks (detail only)."`
}

// ShopAdvertiser is a page that advertises a shop.
type ShopAdvertiser struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	FacebookPageID string `json:"facebookPageId"`
}

// ShopTiktok is a shop's TikTok account.
type ShopTiktok struct {
	HasTikTok bool    `json:"hasTikTok"`
	Handle    *string `json:"handle"`
	Followers int64   `json:"followers"`
}

// ShopGoogleAds is a shop's Google advertising.
type ShopGoogleAds struct {
	ActiveAds int64 `json:"activeAds"`
}

// LatestAd is one of a shop's latest ads.
type LatestAd struct {
	ID           string `json:"id"`
	MediaType    string `json:"mediaType" enum:"image,video,carousel,unknown"`
	MediaURL     string `json:"mediaUrl"`
	ThumbnailURL string `json:"thumbnailUrl"`
}

// ShopDetail is GET /v1/shops/{shopId}.
type ShopDetail struct {
	ShopSummary
	Trustpilot   Trustpilot  `json:"trustpilot"`
	Socials      ShopSocials `json:"socials"`
	Technology   Technology  `json:"technology"`
	SimilarShops []ShopRef   `json:"similarShops" doc:"At most 6."`
}

// Trustpilot is a shop's Trustpilot rating.
type Trustpilot struct {
	Score   float64 `json:"score"`
	Reviews int64   `json:"reviews"`
}

// ShopSocials are a shop's social profiles.
type ShopSocials struct {
	Instagram *string `json:"instagram"`
	Facebook  *string `json:"facebook"`
	Tiktok    *string `json:"tiktok"`
}

// Technology is a shop's stack.
type Technology struct {
	Theme  string   `json:"theme"`
	Apps   []string `json:"apps"`
	Pixels []string `json:"pixels"`
}

// SimilarShopsMeta is the meta of GET /v1/shops/{identifier}/similar.
type SimilarShopsMeta struct {
	Identifier string `json:"identifier"`
	ShopExists bool   `json:"shopExists"`
}

// ShopProduct is a product of a shop.
type ShopProduct struct {
	ID             string   `json:"id"`
	Title          string   `json:"title"`
	Price          float64  `json:"price"`
	Currency       string   `json:"currency"`
	URL            string   `json:"url"`
	ImageURL       string   `json:"imageUrl"`
	PopularityRank int      `json:"popularityRank" doc:"1 is the most popular."`
	CreatedAt      DateTime `json:"createdAt"`
}

// SocialsPoint is one point of a shop's socials history.
type SocialsPoint struct {
	Date               Date  `json:"date" doc:"Start of the day, week or month."`
	InstagramFollowers int64 `json:"instagramFollowers"`
	TiktokFollowers    int64 `json:"tiktokFollowers"`
	FacebookLikes      int64 `json:"facebookLikes"`
}

// Email is a marketing email a shop sent.
type Email struct {
	ID              string      `json:"id"`
	ShopID          string      `json:"shopId"`
	Domain          string      `json:"domain"`
	Subject         string      `json:"subject"`
	Preheader       string      `json:"preheader"`
	Sender          EmailSender `json:"sender"`
	SentAt          DateTime    `json:"sentAt"`
	Type            string      `json:"type" enum:"promotional,newsletter,welcome,abandoned_cart,transactional"`
	HasDiscount     bool        `json:"hasDiscount"`
	DiscountPercent *int        `json:"discountPercent"`
	Language        string      `json:"language"`
}

// EmailSender is the From of an email.
type EmailSender struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

// EmailDetail is GET /v1/emails/{emailId}.
type EmailDetail struct {
	Email
	TextBody    string      `json:"textBody"`
	Links       []EmailLink `json:"links"`
	ImagesCount int         `json:"imagesCount"`
}

// EmailLink is a link in an email.
type EmailLink struct {
	URL  string `json:"url"`
	Text string `json:"text"`
}

// EmailHTML is GET /v1/emails/{emailId}/html.
type EmailHTML struct {
	EmailID string `json:"emailId"`
	HTML    string `json:"html"`
}

// EmailStats is GET /v1/shops/{shopId}/emails/stats.
type EmailStats struct {
	ShopID       string           `json:"shopId"`
	Month        string           `json:"month" doc:"YYYY-MM."`
	TotalEmails  int64            `json:"totalEmails"`
	WithDiscount int64            `json:"withDiscount"`
	ByType       map[string]int64 `json:"byType"`
	ByWeekday    []WeekdayCount   `json:"byWeekday" doc:"Monday first; always 7 rows."`
}

// WeekdayCount is the emails sent on one weekday.
type WeekdayCount struct {
	Weekday string `json:"weekday" enum:"monday,tuesday,wednesday,thursday,friday,saturday,sunday"`
	Count   int64  `json:"count"`
}

// Facet is an id to filter with, its name and how many shops use it.
type Facet struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Kind       string `json:"kind" enum:"category,shopify_app,theme,pixel"`
	ShopsCount int64  `json:"shopsCount"`
}

// FavoriteFolderRef names a favorites folder.
type FavoriteFolderRef struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	ParentID *string `json:"parentId"`
}

// FavoriteAd is a saved ad.
type FavoriteAd struct {
	ID      int64              `json:"id" doc:"Saved-row id (a number)."`
	Scope   string             `json:"scope" enum:"workspace,personal"`
	SavedAt DateTime           `json:"savedAt"`
	Folder  *FavoriteFolderRef `json:"folder"`
	Ad      *AdSummary         `json:"ad" doc:"null when the ad is no longer public."`
}

// FavoriteShop is a saved shop.
type FavoriteShop struct {
	ID      string             `json:"id" doc:"Saved-row id (a string)."`
	Scope   string             `json:"scope" enum:"workspace,personal"`
	SavedAt DateTime           `json:"savedAt"`
	Folder  *FavoriteFolderRef `json:"folder"`
	Shop    *ShopSummary       `json:"shop"`
}

// FavoriteEmail is a saved email.
type FavoriteEmail struct {
	ID      string             `json:"id" doc:"Saved-row id (a UUID)."`
	Scope   string             `json:"scope" enum:"workspace,personal"`
	SavedAt DateTime           `json:"savedAt"`
	Folder  *FavoriteFolderRef `json:"folder"`
	Email   *Email             `json:"email"`
}

// FavoriteFolder is a folder of saved items.
type FavoriteFolder struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	ParentID   *string  `json:"parentId"`
	Visibility string   `json:"visibility" enum:"private,organization"`
	Rank       int      `json:"rank"`
	ItemsCount int64    `json:"itemsCount"`
	CreatedAt  DateTime `json:"createdAt"`
}

// RemovedFavorite is the answer of a favorite removal.
type RemovedFavorite struct {
	Removed   int64    `json:"removed" doc:"Saved rows removed."`
	RemovedAt DateTime `json:"removedAt"`
}

// DeletedFavoriteFolder is DELETE /v1/favorites/{kind}/folders/{folderId}.
type DeletedFavoriteFolder struct {
	ID           string   `json:"id"`
	Mode         string   `json:"mode" enum:"delete_items,move_items_to_root,move_items_to_folder"`
	MovedItems   int64    `json:"movedItems"`
	DeletedItems int64    `json:"deletedItems"`
	DeletedAt    DateTime `json:"deletedAt"`
}

// LookupRow is a row of GET /v1/lookup.
type LookupRow struct {
	Type         string        `json:"type" enum:"brandtracker,advertiser,shop"`
	MatchType    string        `json:"matchType" enum:"exact,fuzzy"`
	MatchField   string        `json:"matchField" enum:"name,domain,facebookPageId,instagramHandle"`
	Score        float64       `json:"score" doc:"1 for an exact match."`
	Brandtracker *LookupEntity `json:"brandtracker"`
	Advertiser   *LookupEntity `json:"advertiser"`
	Shop         *ShopRef      `json:"shop"`
	Signals      LookupSignals `json:"signals"`
}

// LookupEntity names a brandtracker or advertiser.
type LookupEntity struct {
	ID             string  `json:"id"`
	Name           string  `json:"name"`
	FacebookPageID *string `json:"facebookPageId"`
}

// LookupSignals help choose between lookup rows.
type LookupSignals struct {
	ActiveAds        int64     `json:"activeAds"`
	LiveAdsCount     int64     `json:"liveAdsCount"`
	Reach30d         int64     `json:"reach30d"`
	TotalReach       int64     `json:"totalReach"`
	MonthlyVisits    int64     `json:"monthlyVisits"`
	WorkspaceAddedAt *DateTime `json:"workspaceAddedAt"`
	HasBrandtracker  bool      `json:"hasBrandtracker"`
	HasAdvertiser    bool      `json:"hasAdvertiser"`
	HasShop          bool      `json:"hasShop"`
}

// LookupMeta is the meta of GET /v1/lookup.
type LookupMeta struct {
	Q        string   `json:"q"`
	Type     string   `json:"type"`
	Limit    int64    `json:"limit"`
	Returned int      `json:"returned"`
	Partial  *bool    `json:"partial,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// FacebookShopLink is a row of GET /v1/lookup/facebook-shop.
type FacebookShopLink struct {
	Advertiser LookupEntity `json:"advertiser"`
	Shop       ShopRef      `json:"shop"`
	IsPrimary  bool         `json:"isPrimary" doc:"The page's primary shop."`
}

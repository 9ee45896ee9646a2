package sandbox

import (
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// The JSON shapes of the API's resources, named after the reference.

type adSummary struct {
	ID          string       `json:"id"`
	CollationID *string      `json:"collationId"`
	Platform    string       `json:"platform"`
	Status      string       `json:"status"`
	CreatedAt   string       `json:"createdAt"`
	FirstSeenAt string       `json:"firstSeenAt"`
	LastSeenAt  string       `json:"lastSeenAt"`
	DaysRunning int          `json:"daysRunning"`
	Media       adMedia      `json:"media"`
	Advertiser  adAdvertiser `json:"advertiser"`
	Content     adContent    `json:"content"`
	Metrics     adMetrics    `json:"metrics"`
	Audience    adAudience   `json:"audience"`
	Rank        adRank       `json:"rank"`
	Flags       adFlags      `json:"flags"`
}

type adMedia struct {
	Type         string `json:"type"`
	ThumbnailURL string `json:"thumbnailUrl"`
	MediaURL     string `json:"mediaUrl"`
}

type adAdvertiser struct {
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

type adContent struct {
	Title              string  `json:"title"`
	Body               string  `json:"body"`
	Transcript         *string `json:"transcript"`
	CallToAction       string  `json:"callToAction"`
	LandingPageURL     string  `json:"landingPageUrl"`
	LandingPageDomain  string  `json:"landingPageDomain"`
	CtaDescription     string  `json:"ctaDescription"`
	CtaLinkDescription string  `json:"ctaLinkDescription"`
}

type adMetrics struct {
	Reach           int64 `json:"reach"`
	AggregatedReach int64 `json:"aggregatedReach"`
	EstimatedSpend  int64 `json:"estimatedSpend"`
	Duplicates      int64 `json:"duplicates"`
	ReachDelta1d    int64 `json:"reachDelta1d"`
	ReachDelta7d    int64 `json:"reachDelta7d"`
	ReachDelta30d   int64 `json:"reachDelta30d"`
}

type adAudience struct {
	TargetedCountries []string `json:"targetedCountries"`
	MainCountry       string   `json:"mainCountry"`
	Gender            string   `json:"gender"`
	AgeMin            int      `json:"ageMin"`
	AgeMax            int      `json:"ageMax"`
}

type adRank struct {
	PositionInPage int     `json:"positionInPage"`
	CurrentRank    int     `json:"currentRank"`
	RankDelta      int     `json:"rankDelta"`
	ImprovementPct float64 `json:"improvementPct"`
}

type adFlags struct {
	IsEuAd          bool `json:"isEuAd"`
	IsLowReach      bool `json:"isLowReach"`
	IsMediaChanged  bool `json:"isMediaChanged"`
	HasPartnerBadge bool `json:"hasPartnerBadge"`
}

// adDetail is GET /v1/ads/{adId}.
type adDetail struct {
	adSummary
	Transcript       *adTranscript    `json:"transcript"`
	CreativeAnalysis creativeAnalysis `json:"creativeAnalysis"`
	Links            adLinks          `json:"links"`
	Shops            []linkedShop     `json:"shops"`
	PageAnalytics    pageAnalytics    `json:"pageAnalytics"`
}

type adTranscript struct {
	Language string              `json:"language"`
	Segments []transcriptSegment `json:"segments"`
	FullText string              `json:"fullText"`
}

type transcriptSegment struct {
	Start float64 `json:"start"`
	End   float64 `json:"end"`
	Text  string  `json:"text"`
}

type creativeAnalysis struct {
	Hook string `json:"hook"`
}

type adLinks struct {
	AdLibraryURL   string `json:"adLibraryUrl"`
	LandingPageURL string `json:"landingPageUrl"`
}

type linkedShop struct {
	ShopID     string   `json:"shopId"`
	Domain     string   `json:"domain"`
	Name       string   `json:"name"`
	IsPrimary  bool     `json:"isPrimary"`
	Traffic    *int64   `json:"traffic,omitempty"`
	Categories []string `json:"categories,omitempty"`
}

type pageAnalytics struct {
	ReachHistory     []datedValue `json:"reachHistory"`
	ActiveAdsHistory []datedValue `json:"activeAdsHistory"`
}

type datedValue struct {
	Date  string `json:"date"`
	Value int64  `json:"value"`
}

func (x *ad) detail() adDetail {
	rng := rand.New(rand.NewPCG(uint64(x.relevance), 0xde7a))
	d := adDetail{
		adSummary:        x.sum,
		CreativeAnalysis: creativeAnalysis{Hook: x.hook},
		Links: adLinks{
			AdLibraryURL:   "https://www.facebook.com/ads/library/?id=" + strings.TrimPrefix(x.sum.ID, "facebook_"),
			LandingPageURL: x.sum.Content.LandingPageURL,
		},
		Shops: []linkedShop{},
	}
	if x.sum.Content.Transcript != nil {
		words := strings.Fields(*x.sum.Content.Transcript)
		t := &adTranscript{Language: "en", FullText: *x.sum.Content.Transcript}
		for i := 0; i < len(words); i += 8 {
			j := min(i+8, len(words))
			t.Segments = append(t.Segments, transcriptSegment{Start: float64(i) / 2.5, End: float64(j) / 2.5, Text: strings.Join(words[i:j], " ")})
		}
		d.Transcript = t
	}
	for i, sh := range x.adv.shops {
		visits := sh.monthlyVisits
		d.Shops = append(d.Shops, linkedShop{ShopID: sh.id, Domain: sh.domain, Name: sh.name, IsPrimary: i == 0,
			Traffic: &visits, Categories: []string{niches[sh.nicheIdx].category}})
	}
	reach := x.sum.Metrics.Reach
	for i := 6; i >= 0; i-- {
		day := dataEpoch.AddDate(0, 0, -i)
		d.PageAnalytics.ReachHistory = append(d.PageAnalytics.ReachHistory, datedValue{Date: day.Format(time.DateOnly), Value: reach - int64(i)*reach/40})
		d.PageAnalytics.ActiveAdsHistory = append(d.PageAnalytics.ActiveAdsHistory, datedValue{Date: day.Format(time.DateOnly), Value: max(0, x.adv.liveAds-int64(rng.IntN(3)))})
	}
	return d
}

type advertiserSummary struct {
	ID               string            `json:"id"`
	Platform         string            `json:"platform"`
	FacebookPageID   string            `json:"facebookPageId"`
	Name             string            `json:"name"`
	LogoURL          string            `json:"logoUrl"`
	Profile          advertiserProfile `json:"profile"`
	Advertising      advertiserAds     `json:"advertising"`
	LastAds          []adThumb         `json:"lastAds"`
	MainLandingPages []landingPage     `json:"mainLandingPages"`
}

type advertiserProfile struct {
	Likes              int64  `json:"likes"`
	InstagramFollowers int64  `json:"instagramFollowers"`
	InstagramHandle    string `json:"instagramHandle"`
	CreatedAt          string `json:"createdAt"`
}

type advertiserAds struct {
	ActiveAds           int64          `json:"activeAds"`
	Reach30d            int64          `json:"reach30d"`
	CountryDistribution []countryShare `json:"countryDistribution,omitempty"`
}

type countryShare struct {
	Country string  `json:"country"`
	Share   float64 `json:"share"`
}

type adThumb struct {
	ID           string `json:"id"`
	MediaURL     string `json:"mediaUrl"`
	ThumbnailURL string `json:"thumbnailUrl"`
}

type landingPage struct {
	LandingPage   string `json:"landingPage"`
	ScreenshotURL string `json:"screenshotUrl"`
}

func (a *advertiser) profile() advertiserProfile {
	return advertiserProfile{Likes: a.likes, InstagramFollowers: a.followers, InstagramHandle: a.handle, CreatedAt: iso(a.createdAt)}
}

func (a *advertiser) summary() advertiserSummary {
	s := advertiserSummary{
		ID: a.id, Platform: "facebook", FacebookPageID: a.id, Name: a.name, LogoURL: a.logoURL,
		Profile:          a.profile(),
		Advertising:      advertiserAds{ActiveAds: a.liveAds, Reach30d: a.reach30d},
		LastAds:          []adThumb{},
		MainLandingPages: []landingPage{},
	}
	seen := map[string]bool{}
	for _, x := range a.ads {
		if len(s.LastAds) < 3 {
			s.LastAds = append(s.LastAds, adThumb{ID: x.sum.ID, MediaURL: x.sum.Media.MediaURL, ThumbnailURL: x.sum.Media.ThumbnailURL})
		}
		if lp := x.sum.Content.LandingPageURL; !seen[lp] && len(s.MainLandingPages) < 3 {
			seen[lp] = true
			s.MainLandingPages = append(s.MainLandingPages, landingPage{LandingPage: lp,
				ScreenshotURL: "https://cdn.sandbox.trendtrack.example/screenshots/" + slug(lp) + ".jpg"})
		}
	}
	return s
}

type advertiserDetail struct {
	ID             string            `json:"id"`
	Platform       string            `json:"platform"`
	FacebookPageID string            `json:"facebookPageId"`
	Name           string            `json:"name"`
	LogoURL        string            `json:"logoUrl"`
	Profile        advertiserProfile `json:"profile"`
	LinkedShops    []linkedShop      `json:"linkedShops"`
	Advertising    advertiserAds     `json:"advertising"`
	LastAds        []adSummary       `json:"lastAds"`
}

func (a *advertiser) detail() advertiserDetail {
	d := advertiserDetail{
		ID: a.id, Platform: "facebook", FacebookPageID: a.id, Name: a.name, LogoURL: a.logoURL,
		Profile:     a.profile(),
		LinkedShops: []linkedShop{},
		Advertising: advertiserAds{ActiveAds: a.liveAds, Reach30d: a.reach30d, CountryDistribution: []countryShare{}},
		LastAds:     []adSummary{},
	}
	for i, sh := range a.shops {
		d.LinkedShops = append(d.LinkedShops, linkedShop{ShopID: sh.id, Domain: sh.domain, Name: sh.name, IsPrimary: i == 0})
	}
	counts := map[string]int{}
	for _, x := range a.ads {
		counts[x.sum.Audience.MainCountry]++
	}
	for _, c := range a.countries {
		if counts[c] > 0 {
			d.Advertising.CountryDistribution = append(d.Advertising.CountryDistribution,
				countryShare{Country: c, Share: math.Round(float64(counts[c])/float64(len(a.ads))*1000) / 1000})
		}
	}
	for _, x := range a.ads[:min(5, len(a.ads))] {
		d.LastAds = append(d.LastAds, x.sum)
	}
	return d
}

type shopRef struct {
	ID     string `json:"id"`
	Domain string `json:"domain"`
	Name   string `json:"name"`
}

type shopSummary struct {
	ID            string          `json:"id"`
	Domain        string          `json:"domain"`
	Name          string          `json:"name"`
	ScreenshotURL string          `json:"screenshotUrl"`
	CreatedAt     string          `json:"createdAt"`
	Profile       shopProfile     `json:"profile"`
	Catalog       shopCatalog     `json:"catalog"`
	Traffic       shopTraffic     `json:"traffic"`
	Advertising   shopAdvertising `json:"advertising"`
	Tiktok        shopTiktok      `json:"tiktok"`
	GoogleAds     *shopGoogleAds  `json:"googleAds,omitempty"`
	LatestAds     []latestAd      `json:"latestAds"`
}

type shopProfile struct {
	Country       string   `json:"country"`
	Language      string   `json:"language"`
	Currency      string   `json:"currency"`
	IsShopifyPlus bool     `json:"isShopifyPlus"`
	Categories    []string `json:"categories"`
}

type shopCatalog struct {
	ProductsCount int64        `json:"productsCount"`
	AveragePrice  float64      `json:"averagePrice"`
	BestSellers   []bestSeller `json:"bestSellers,omitempty"`
}

type bestSeller struct {
	Title string  `json:"title"`
	Price float64 `json:"price"`
	URL   string  `json:"url"`
}

type shopTraffic struct {
	MonthlyVisits int64          `json:"monthlyVisits"`
	Growth30d     float64        `json:"growth30d"`
	Growth90d     *float64       `json:"growth90d,omitempty"`
	Growth180d    *float64       `json:"growth180d,omitempty"`
	History       []datedValue   `json:"history,omitempty"`
	TopCountries  []countryShare `json:"topCountries,omitempty"`
}

type shopAdvertising struct {
	ActiveAds         int64        `json:"activeAds"`
	LinkedAdvertisers []shopAdvRef `json:"linkedAdvertisers,omitempty"`
	History           []datedValue `json:"history,omitempty"`
}

type shopAdvRef struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	FacebookPageID string `json:"facebookPageId"`
}

type shopTiktok struct {
	HasTikTok bool    `json:"hasTikTok"`
	Handle    *string `json:"handle"`
	Followers int64   `json:"followers"`
}

type shopGoogleAds struct {
	ActiveAds int64 `json:"activeAds"`
}

type latestAd struct {
	ID           string `json:"id"`
	MediaType    string `json:"mediaType"`
	MediaURL     string `json:"mediaUrl"`
	ThumbnailURL string `json:"thumbnailUrl"`
}

// activeAds counts the active ads of the shop's advertisers.
func (sh *shop) activeAds() int64 {
	var n int64
	for _, a := range sh.advertisers {
		n += a.liveAds
	}
	return n
}

func (sh *shop) summary() shopSummary {
	s := shopSummary{
		ID: sh.id, Domain: sh.domain, Name: sh.name,
		ScreenshotURL: "https://cdn.sandbox.trendtrack.example/shops/" + sh.id + "/screenshot.jpg",
		CreatedAt:     iso(sh.createdAt),
		Profile: shopProfile{Country: sh.country, Language: sh.language, Currency: sh.currency,
			IsShopifyPlus: sh.shopifyPlus, Categories: []string{niches[sh.nicheIdx].category}},
		Catalog:     shopCatalog{ProductsCount: sh.productsCount, AveragePrice: sh.avgPrice},
		Traffic:     shopTraffic{MonthlyVisits: sh.monthlyVisits, Growth30d: sh.growth30d},
		Advertising: shopAdvertising{ActiveAds: sh.activeAds()},
		Tiktok:      shopTiktok{HasTikTok: sh.hasTikTok, Followers: sh.tiktokFollowers},
		LatestAds:   []latestAd{},
	}
	if sh.hasTikTok {
		h := "@" + slug(sh.name)
		s.Tiktok.Handle = &h
	}
	if sh.googleAds > 0 {
		s.GoogleAds = &shopGoogleAds{ActiveAds: sh.googleAds}
	}
	for _, x := range sh.advertisers[0].ads {
		if len(s.LatestAds) == 3 {
			break
		}
		s.LatestAds = append(s.LatestAds, latestAd{ID: x.sum.ID, MediaType: x.sum.Media.Type, MediaURL: x.sum.Media.MediaURL, ThumbnailURL: x.sum.Media.ThumbnailURL})
	}
	return s
}

type shopDetail struct {
	shopSummary
	Trustpilot   trustpilot  `json:"trustpilot"`
	Socials      shopSocials `json:"socials"`
	Technology   technology  `json:"technology"`
	SimilarShops []shopRef   `json:"similarShops"`
}

type trustpilot struct {
	Score   float64 `json:"score"`
	Reviews int64   `json:"reviews"`
}

type shopSocials struct {
	Instagram *string `json:"instagram"`
	Facebook  *string `json:"facebook"`
	Tiktok    *string `json:"tiktok"`
}

type technology struct {
	Theme  string   `json:"theme"`
	Apps   []string `json:"apps"`
	Pixels []string `json:"pixels"`
}

func (d *dataset) shopDetail(sh *shop) shopDetail {
	rng := rand.New(rand.NewPCG(uint64(len(sh.id)), uint64(sh.monthlyVisits)))
	out := shopDetail{
		shopSummary:  sh.summary(),
		Trustpilot:   trustpilot{Score: sh.trustScore, Reviews: sh.trustReviews},
		Technology:   technology{Theme: sh.theme, Apps: sh.apps, Pixels: sh.pixels},
		SimilarShops: []shopRef{},
	}
	g90, g180 := sh.growth90d, sh.growth180d
	out.Traffic.Growth90d, out.Traffic.Growth180d = &g90, &g180
	n := niches[sh.nicheIdx]
	for i, p := range n.products[:3] {
		out.Catalog.BestSellers = append(out.Catalog.BestSellers, bestSeller{
			Title: strings.ToUpper(p[:1]) + p[1:], Price: math.Round(sh.avgPrice*(0.7+0.2*float64(i))*100) / 100,
			URL: "https://" + sh.domain + "/products/" + strings.ReplaceAll(p, " ", "-"),
		})
	}
	visits := sh.monthlyVisits
	for i := 5; i >= 0; i-- {
		out.Traffic.History = append(out.Traffic.History, datedValue{
			Date: dataEpoch.AddDate(0, -i, 0).Format("2006-01"), Value: visits - int64(float64(visits)*float64(i)*sh.growth30d/1000)})
	}
	out.Traffic.TopCountries = []countryShare{{Country: sh.country, Share: 0.62}, {Country: "US", Share: 0.18}}
	if sh.country == "US" {
		out.Traffic.TopCountries[1].Country = "CA"
	}
	for _, a := range sh.advertisers {
		out.Advertising.LinkedAdvertisers = append(out.Advertising.LinkedAdvertisers, shopAdvRef{ID: a.id, Name: a.name, FacebookPageID: a.id})
	}
	active := out.Advertising.ActiveAds
	for i := 25; i >= 0; i-- {
		out.Advertising.History = append(out.Advertising.History, datedValue{
			Date: dataEpoch.AddDate(0, 0, -7*i).Format(time.DateOnly), Value: max(0, active+int64(rng.IntN(5))-2)})
	}
	ig := "https://instagram.com/" + sh.advertisers[0].handle
	fb := "https://facebook.com/" + sh.advertisers[0].id
	out.Socials = shopSocials{Instagram: &ig, Facebook: &fb}
	if out.Tiktok.Handle != nil {
		tt := "https://www.tiktok.com/" + *out.Tiktok.Handle
		out.Socials.Tiktok = &tt
	}
	for _, other := range d.shops {
		if other != sh && other.nicheIdx == sh.nicheIdx && len(out.SimilarShops) < 6 {
			out.SimilarShops = append(out.SimilarShops, shopRef{ID: other.id, Domain: other.domain, Name: other.name})
		}
	}
	return out
}

type tiktokRow struct {
	ID          string        `json:"id"`
	TiktokID    string        `json:"tiktokId"`
	Type        string        `json:"type"`
	Status      string        `json:"status"`
	DaysRunning int           `json:"daysRunning"`
	CreatedAt   string        `json:"createdAt"`
	UpdatedAt   string        `json:"updatedAt"`
	Media       tiktokMedia   `json:"media"`
	Content     tiktokContent `json:"content"`
	Metrics     tiktokMetrics `json:"metrics"`
	Profile     tiktokProfile `json:"profile"`
	Shop        *shopRef      `json:"shop"`
	Countries   []string      `json:"countries"`
}

type tiktokMedia struct {
	Type            string `json:"type"`
	ThumbnailURL    string `json:"thumbnailUrl"`
	VideoURL        string `json:"videoUrl"`
	DurationSeconds int    `json:"durationSeconds"`
}

type tiktokContent struct {
	Caption  string      `json:"caption"`
	Hashtags []string    `json:"hashtags"`
	Music    tiktokMusic `json:"music"`
	Language string      `json:"language"`
}

type tiktokMusic struct {
	Title  string `json:"title"`
	Author string `json:"author"`
}

type tiktokMetrics struct {
	Views          int64   `json:"views"`
	Likes          int64   `json:"likes"`
	Comments       int64   `json:"comments"`
	Shares         int64   `json:"shares"`
	Saves          int64   `json:"saves"`
	EngagementRate float64 `json:"engagementRate"`
}

type tiktokProfile struct {
	ID        string `json:"id"`
	Handle    string `json:"handle"`
	Nickname  string `json:"nickname"`
	Followers int64  `json:"followers"`
	Verified  bool   `json:"verified"`
}

type googleRow struct {
	ID          string           `json:"id"`
	GoogleAdID  string           `json:"googleAdId"`
	Status      string           `json:"status"`
	Network     string           `json:"network"`
	FirstSeenAt string           `json:"firstSeenAt"`
	LastSeenAt  string           `json:"lastSeenAt"`
	DaysRunning int              `json:"daysRunning"`
	Media       googleMedia      `json:"media"`
	Advertiser  googleAdvertiser `json:"advertiser"`
	Reach       googleReach      `json:"reach"`
	Audience    googleAudience   `json:"audience"`
}

type googleMedia struct {
	Type        string  `json:"type"`
	Headline    string  `json:"headline"`
	Description string  `json:"description"`
	ImageURL    *string `json:"imageUrl"`
	VideoURL    *string `json:"videoUrl"`
}

type googleAdvertiser struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Domain   string `json:"domain"`
	Verified bool   `json:"verified"`
}

type googleReach struct {
	Value      int64 `json:"value"`
	LowerBound int64 `json:"lowerBound"`
	UpperBound int64 `json:"upperBound"`
}

type googleAudience struct {
	Countries   []string `json:"countries"`
	CategoryIDs []int    `json:"categoryIds"`
}

// brandtracker is a workspace's tracked brand. The Server's mutex guards it.
type brandtracker struct {
	id              string
	workspaceLinkID string
	targetType      string // "facebookPage" or "website"
	adv             *advertiser
	shop            *shop
	folder          *folder
	createdAt       time.Time
	active          bool
}

type folder struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type brandtrackerRow struct {
	ID              string                  `json:"id"`
	Name            string                  `json:"name"`
	FacebookPageID  *string                 `json:"facebookPageId"`
	WorkspaceLinkID string                  `json:"workspaceLinkId"`
	TargetType      string                  `json:"targetType"`
	AvatarURL       *string                 `json:"avatarUrl"`
	Status          brandtrackerStatus      `json:"status"`
	Folder          *folder                 `json:"folder"`
	Advertising     brandtrackerAdvertising `json:"advertising"`
	Websites        []string                `json:"websites"`
	TotalTraffic    int64                   `json:"totalTraffic"`
	CreatedAt       string                  `json:"createdAt"`
}

type brandtrackerStatus struct {
	IsLoaded      bool   `json:"isLoaded"`
	LastCrawledAt string `json:"lastCrawledAt"`
}

type brandtrackerAdvertising struct {
	ActiveAds        int64 `json:"activeAds"`
	NewAdsLastDay    int64 `json:"newAdsLastDay"`
	NewAdsLast7Days  int64 `json:"newAdsLast7Days"`
	NewAdsLast30Days int64 `json:"newAdsLast30Days"`
}

// advertisers returns the advertisers whose ads the brandtracker follows.
func (b *brandtracker) advertisers() []*advertiser {
	if b.adv != nil {
		return []*advertiser{b.adv}
	}
	return b.shop.advertisers
}

func (b *brandtracker) name() string {
	if b.adv != nil {
		return b.adv.name
	}
	return b.shop.name
}

func (b *brandtracker) row() brandtrackerRow {
	r := brandtrackerRow{
		ID: b.id, Name: b.name(), WorkspaceLinkID: b.workspaceLinkID, TargetType: b.targetType,
		Status:    brandtrackerStatus{IsLoaded: true, LastCrawledAt: iso(dataEpoch.Add(-3 * time.Hour))},
		Folder:    b.folder,
		Websites:  []string{},
		CreatedAt: iso(b.createdAt),
	}
	sites := map[string]bool{}
	for _, a := range b.advertisers() {
		r.Advertising.ActiveAds += a.liveAds
		r.Advertising.NewAdsLastDay += a.newAds1d
		r.Advertising.NewAdsLast7Days += a.newAds7d
		r.Advertising.NewAdsLast30Days += a.newAds30d
		for _, sh := range a.shops {
			if !sites[sh.domain] {
				sites[sh.domain] = true
				r.Websites = append(r.Websites, sh.domain)
				r.TotalTraffic += sh.monthlyVisits
			}
		}
	}
	if b.shop != nil && !sites[b.shop.domain] {
		r.Websites = append([]string{b.shop.domain}, r.Websites...)
		r.TotalTraffic += b.shop.monthlyVisits
	}
	if a := b.advertisers(); len(a) > 0 && (b.adv != nil || len(b.shop.advertisers) > 0) {
		id, logo := a[0].id, a[0].logoURL
		r.FacebookPageID, r.AvatarURL = &id, &logo
	}
	return r
}

// latestAd is the newest ad creation time among the tracked advertisers.
func (b *brandtracker) latestAd() time.Time {
	var t time.Time
	for _, a := range b.advertisers() {
		if a.latestAd.After(t) {
			t = a.latestAd
		}
	}
	return t
}

// ensureTrackers gives ws its starting brandtrackers and folders; s.mu
// must be held.
func (s *Server) ensureTrackers(ws *workspace) {
	if ws.trackersReady {
		return
	}
	ws.trackersReady = true
	d := s.data()
	rng := rand.New(rand.NewPCG(uint64(s.seed), uint64(0xb7+ws.index)))
	for _, name := range []string{"Competitors", "Inspiration", "Watchlist"} {
		ws.folders = append(ws.folders, folder{ID: uuid(rng), Name: name})
	}
	perm := rng.Perm(numAdvertisers)
	for i := 0; i < numTrackers; i++ {
		b := &brandtracker{
			id:              uuid(rng),
			workspaceLinkID: uuid(rng),
			createdAt:       dataEpoch.Add(-time.Duration(rng.IntN(300*24)) * time.Hour),
			active:          true,
		}
		a := d.advertisers[perm[i]]
		if i%5 == 4 && len(a.shops) > 0 {
			b.targetType, b.shop = "website", a.shops[0]
		} else {
			b.targetType, b.adv = "facebookPage", a
		}
		if f := rng.IntN(len(ws.folders) + 1); f < len(ws.folders) {
			b.folder = &ws.folders[f]
		}
		ws.trackers = append(ws.trackers, b)
	}
}

// findTracker returns ws's active brandtracker with id; s.mu must be held.
func findTracker(ws *workspace, id string) *brandtracker {
	for _, b := range ws.trackers {
		if b.id == id && b.active {
			return b
		}
	}
	return nil
}

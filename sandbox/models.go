package sandbox

import (
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
)

// The API's resources as answered (apispec's types) built from the data set.

func (x *ad) detail(d *dataset) apispec.AdDetail {
	rng := rand.New(rand.NewPCG(uint64(x.relevance), 0xde7a))
	out := apispec.AdDetail{
		AdSummary:        x.sum,
		CreativeAnalysis: apispec.CreativeAnalysis{Hook: x.hook},
		Links: apispec.AdLinks{
			AdLibraryURL:   "https://www.facebook.com/ads/library/?id=" + strings.TrimPrefix(x.sum.ID, "facebook_"),
			LandingPageURL: x.sum.Content.LandingPageURL,
		},
		Shops: []apispec.LinkedShop{},
		PageAnalytics: apispec.PageAnalytics{
			ReachHistory:     []apispec.DatedValue{},
			ActiveAdsHistory: []apispec.DatedValue{},
		},
	}
	if x.sum.Content.Transcript != nil {
		words := strings.Fields(*x.sum.Content.Transcript)
		t := &apispec.AdTranscript{Language: x.sum.Content.Language, FullText: *x.sum.Content.Transcript, Segments: []apispec.TranscriptSegment{}}
		for i := 0; i < len(words); i += 8 {
			j := min(i+8, len(words))
			t.Segments = append(t.Segments, apispec.TranscriptSegment{Start: float64(i) / 2.5, End: float64(j) / 2.5, Text: strings.Join(words[i:j], " ")})
		}
		out.Transcript = t
	}
	for i, sh := range x.adv.shops {
		visits := sh.monthlyVisits
		out.Shops = append(out.Shops, apispec.LinkedShop{ShopID: sh.id, Domain: sh.domain, Name: sh.name, IsPrimary: i == 0,
			Traffic: &visits, Categories: []string{niches[sh.nicheIdx].category}})
	}
	reach := x.sum.Metrics.Reach
	for i := 6; i >= 0; i-- {
		date := d.asOf.AddDate(0, 0, -1-i).Format(time.DateOnly)
		out.PageAnalytics.ReachHistory = append(out.PageAnalytics.ReachHistory, apispec.DatedValue{Date: date, Value: reach - int64(i)*reach/40})
		out.PageAnalytics.ActiveAdsHistory = append(out.PageAnalytics.ActiveAdsHistory, apispec.DatedValue{Date: date, Value: max(0, x.adv.liveAds-int64(rng.IntN(3)))})
	}
	return out
}

// summary returns the ad's row with estimatedSpend at cpm.
func (x *ad) summary(cpm int64) apispec.AdSummary {
	s := x.sum
	if cpm != 0 && cpm != 9 {
		s.Metrics.EstimatedSpend = estimatedSpend(s.Metrics.Reach, cpm)
	}
	return s
}

// summaries returns the rows of ads at cpm, built page by page.
func summaries(ads []*ad, cpm int64) *rows {
	return mapRows(ads, func(x *ad) apispec.AdSummary { return x.summary(cpm) })
}

func (a *advertiser) profile() apispec.AdvertiserProfile {
	return apispec.AdvertiserProfile{Likes: a.likes, InstagramFollowers: a.followers, InstagramHandle: a.handle,
		CreatedAt: dt(a.createdAt), PageType: a.pageType}
}

func (a *advertiser) summary() apispec.AdvertiserSummary {
	s := apispec.AdvertiserSummary{
		ID: a.id, Platform: "facebook", FacebookPageID: a.id, Name: a.name, LogoURL: a.logoURL,
		Profile:          a.profile(),
		Advertising:      apispec.AdvertiserAds{ActiveAds: a.liveAds, Reach30d: a.reach30d},
		LastAds:          []apispec.AdThumb{},
		MainLandingPages: []apispec.LandingPageShot{},
	}
	seen := map[string]bool{}
	for _, x := range a.ads {
		if len(s.LastAds) < 3 {
			s.LastAds = append(s.LastAds, apispec.AdThumb{ID: x.sum.ID, MediaURL: x.sum.Media.MediaURL, ThumbnailURL: x.sum.Media.ThumbnailURL})
		}
		if lp := x.sum.Content.LandingPageURL; !seen[lp] && len(s.MainLandingPages) < 3 {
			seen[lp] = true
			s.MainLandingPages = append(s.MainLandingPages, apispec.LandingPageShot{LandingPage: lp, ScreenshotURL: screenshotURL(lp)})
		}
	}
	return s
}

func screenshotURL(url string) string {
	return "https://cdn.sandbox.trendtrack.example/screenshots/" + slug(url) + ".jpg"
}

func (a *advertiser) detail() apispec.AdvertiserDetail {
	d := apispec.AdvertiserDetail{
		ID: a.id, Platform: "facebook", FacebookPageID: a.id, Name: a.name, LogoURL: a.logoURL,
		Profile:     a.profile(),
		LinkedShops: []apispec.LinkedShop{},
		Advertising: apispec.AdvertiserAds{ActiveAds: a.liveAds, Reach30d: a.reach30d, CountryDistribution: []apispec.CountryShare{}},
		LastAds:     []apispec.AdSummary{},
	}
	for i, sh := range a.shops {
		d.LinkedShops = append(d.LinkedShops, apispec.LinkedShop{ShopID: sh.id, Domain: sh.domain, Name: sh.name, IsPrimary: i == 0})
	}
	counts := map[string]int{}
	for _, x := range a.ads {
		counts[x.sum.Audience.MainCountry]++
	}
	for _, c := range a.countries {
		if counts[c] > 0 {
			d.Advertising.CountryDistribution = append(d.Advertising.CountryDistribution,
				apispec.CountryShare{Country: c, Share: math.Round(float64(counts[c])/float64(len(a.ads))*1000) / 1000})
		}
	}
	for _, x := range a.ads[:min(5, len(a.ads))] {
		d.LastAds = append(d.LastAds, x.sum)
	}
	return d
}

// activeAds counts the active ads of the shop's advertisers.
func (sh *shop) activeAds() int64 {
	var n int64
	for _, a := range sh.advertisers {
		n += a.liveAds
	}
	return n
}

func (sh *shop) ref() apispec.ShopRef {
	return apispec.ShopRef{ID: sh.id, Domain: sh.domain, Name: sh.name}
}

func (sh *shop) summary() apispec.ShopSummary {
	s := apispec.ShopSummary{
		ID: sh.id, Domain: sh.domain, Name: sh.name,
		ScreenshotURL: "https://cdn.sandbox.trendtrack.example/shops/" + sh.id + "/screenshot.jpg",
		CreatedAt:     dt(sh.createdAt),
		Profile: apispec.ShopProfile{Country: sh.country, Language: sh.language, Currency: sh.currency,
			IsShopifyPlus: sh.shopifyPlus, Categories: []string{niches[sh.nicheIdx].category}},
		Catalog:     apispec.ShopCatalog{ProductsCount: sh.productsCount, AveragePrice: sh.avgPrice},
		Traffic:     apispec.ShopTraffic{MonthlyVisits: sh.monthlyVisits, Growth30d: sh.growth30d},
		Advertising: apispec.ShopAdvertising{ActiveAds: sh.activeAds()},
		Tiktok:      apispec.ShopTiktok{HasTikTok: sh.hasTikTok, Followers: sh.tiktokFollowers},
		LatestAds:   []apispec.LatestAd{},
	}
	if sh.hasTikTok {
		h := "@" + slug(sh.name)
		s.Tiktok.Handle = &h
	}
	if sh.googleAds > 0 {
		s.GoogleAds = &apispec.ShopGoogleAds{ActiveAds: sh.googleAds}
	}
	for _, x := range sh.advertisers[0].ads {
		if len(s.LatestAds) == 3 {
			break
		}
		s.LatestAds = append(s.LatestAds, apispec.LatestAd{ID: x.sum.ID, MediaType: x.sum.Media.Type, MediaURL: x.sum.Media.MediaURL, ThumbnailURL: x.sum.Media.ThumbnailURL})
	}
	return s
}

// monthlyTraffic is the shop's visits of the last six months, keyed
// YYYY-MM, oldest first in history.
func (d *dataset) monthlyTraffic(sh *shop) []apispec.DatedValue {
	out := make([]apispec.DatedValue, 0, 6)
	for i := 5; i >= 0; i-- {
		out = append(out, apispec.DatedValue{
			Date:  d.asOf.AddDate(0, -i, -1).Format("2006-01"),
			Value: max(0, sh.monthlyVisits-int64(float64(sh.monthlyVisits)*float64(i)*sh.growth30d/1000)),
		})
	}
	return out
}

func (d *dataset) shopDetail(sh *shop) apispec.ShopDetail {
	rng := rand.New(rand.NewPCG(uint64(len(sh.id)), uint64(sh.monthlyVisits)))
	out := apispec.ShopDetail{
		ShopSummary:  sh.summary(),
		Trustpilot:   apispec.Trustpilot{Score: sh.trustScore, Reviews: sh.trustReviews},
		Technology:   apispec.Technology{Theme: sh.theme, Apps: sh.apps, Pixels: sh.pixels},
		SimilarShops: []apispec.ShopRef{},
	}
	g90, g180 := sh.growth90d, sh.growth180d
	out.Traffic.Growth90d, out.Traffic.Growth180d = &g90, &g180
	n := niches[sh.nicheIdx]
	for i, p := range n.products[:3] {
		out.Catalog.BestSellers = append(out.Catalog.BestSellers, apispec.BestSeller{
			Title: strings.ToUpper(p[:1]) + p[1:], Price: math.Round(sh.avgPrice*(0.7+0.2*float64(i))*100) / 100,
			URL: "https://" + sh.domain + "/products/" + strings.ReplaceAll(p, " ", "-"),
		})
	}
	out.Traffic.History = d.monthlyTraffic(sh)
	out.Traffic.TopCountries = []apispec.CountryShare{{Country: sh.country, Share: 0.62}, {Country: "US", Share: 0.18}}
	if sh.country == "US" {
		out.Traffic.TopCountries[1].Country = "CA"
	}
	for _, a := range sh.advertisers {
		out.Advertising.LinkedAdvertisers = append(out.Advertising.LinkedAdvertisers, apispec.ShopAdvertiser{ID: a.id, Name: a.name, FacebookPageID: a.id})
	}
	active := out.Advertising.ActiveAds
	for i := 25; i >= 0; i-- {
		out.Advertising.History = append(out.Advertising.History, apispec.DatedValue{
			Date: d.asOf.AddDate(0, 0, -1-7*i).Format(time.DateOnly), Value: max(0, active+int64(rng.IntN(5))-2)})
	}
	ig := "https://instagram.com/" + sh.advertisers[0].handle
	fb := "https://facebook.com/" + sh.advertisers[0].id
	out.Socials = apispec.ShopSocials{Instagram: &ig, Facebook: &fb}
	if out.Tiktok.Handle != nil {
		tt := "https://www.tiktok.com/" + *out.Tiktok.Handle
		out.Socials.Tiktok = &tt
	}
	for _, other := range d.shops {
		if other != sh && other.nicheIdx == sh.nicheIdx && len(out.SimilarShops) < 6 {
			out.SimilarShops = append(out.SimilarShops, other.ref())
		}
	}
	return out
}

// brandtracker is a workspace's tracked brand. It names its advertiser or
// shop by id, so it outlives data sets. The Server's mutex guards it.
type brandtracker struct {
	id              string
	workspaceLinkID int64
	advID           string // facebook page target, or ""
	shopID          string // shop target, or ""
	folder          *folder
	createdAt       time.Time
	active          bool
}

// folder is a brandtracker folder; its position in workspace.folders is
// its rank.
type folder struct {
	id        int64
	name      string
	createdAt time.Time
}

// advertisers returns the advertisers whose ads the brandtracker follows.
func (b *brandtracker) advertisers(d *dataset) []*advertiser {
	if b.advID != "" {
		return []*advertiser{d.advByID[b.advID]}
	}
	return d.shopByID[b.shopID].advertisers
}

// ads returns the ads of the tracked advertisers, newest first.
func (b *brandtracker) ads(d *dataset) []*ad {
	var out []*ad
	for _, a := range b.advertisers(d) {
		out = append(out, a.ads...)
	}
	if len(out) > 0 && b.advID == "" {
		sortNewest(out)
	}
	return out
}

func (b *brandtracker) name(d *dataset) string {
	if b.advID != "" {
		return d.advByID[b.advID].name
	}
	return d.shopByID[b.shopID].name
}

func (b *brandtracker) ref(d *dataset) apispec.BrandtrackerRef {
	return apispec.BrandtrackerRef{ID: b.id, Name: b.name(d)}
}

func (b *brandtracker) row(d *dataset) apispec.Brandtracker {
	r := apispec.Brandtracker{
		ID: b.id, Name: b.name(d), WorkspaceLinkID: b.workspaceLinkID, TargetType: "facebookPage",
		Status:           apispec.BrandtrackerStatus{IsLoaded: true, LastCrawledAt: dt(d.asOf.Add(-3 * time.Hour))},
		WorkspaceAddedAt: dt(b.createdAt),
		CreatedAt:        dt(b.createdAt),
		Websites:         []apispec.TrackedWebsite{},
	}
	if b.folder != nil {
		r.Folder = &apispec.FolderRef{ID: b.folder.id, Name: b.folder.name}
	}
	var sites []*shop
	if b.shopID != "" {
		sh := d.shopByID[b.shopID]
		r.TargetType = "shop"
		r.WebsiteID, r.Domain = &sh.id, &sh.domain
		sites = append(sites, sh)
	}
	for _, a := range b.advertisers(d) {
		r.Advertising.ActiveAds += a.liveAds
		r.Advertising.NewAdsLastDay += a.newAds1d
		r.Advertising.NewAdsLast7Days += a.newAds7d
		r.Advertising.NewAdsLast30Days += a.newAds30d
		for _, sh := range a.shops {
			if !containsShop(sites, sh) {
				sites = append(sites, sh)
			}
		}
	}
	for _, sh := range sites {
		monthly := map[string]int64{}
		for _, p := range d.monthlyTraffic(sh) {
			monthly[p.Date] = p.Value
		}
		var social apispec.SocialNetworks
		if len(sh.advertisers) > 0 {
			fb := "https://facebook.com/" + sh.advertisers[0].id
			ig := "https://instagram.com/" + sh.advertisers[0].handle
			social.Facebook, social.Instagram = &fb, &ig
		}
		r.Websites = append(r.Websites, apispec.TrackedWebsite{
			ID: sh.id, Domain: sh.domain, SiteName: sh.name, TrafficNumber: sh.monthlyVisits,
			TrafficChange: sh.growth30d, MonthlyTraffic: monthly, SocialNetworks: social,
		})
		r.TotalTraffic += sh.monthlyVisits
	}
	if as := b.advertisers(d); len(as) > 0 {
		id, logo := as[0].id, as[0].logoURL
		r.FacebookPageID, r.AvatarURL = &id, &logo
	}
	return r
}

func containsShop(xs []*shop, sh *shop) bool {
	for _, x := range xs {
		if x == sh {
			return true
		}
	}
	return false
}

// latestAd is the newest ad creation time among the tracked advertisers.
func (b *brandtracker) latestAd(d *dataset) time.Time {
	var t time.Time
	for _, a := range b.advertisers(d) {
		if a.latestAd.After(t) {
			t = a.latestAd
		}
	}
	return t
}

// ensureTrackers gives ws its starting folders and brandtrackers; s.mu
// must be held.
func (s *Server) ensureTrackers(ws *workspace, d *dataset) {
	if ws.trackersReady {
		return
	}
	ws.trackersReady = true
	rng := rand.New(rand.NewPCG(uint64(s.seed), uint64(0xb7+ws.index)))
	for _, name := range []string{"Competitors", "Inspiration", "Watchlist"} {
		ws.folderSeq++
		ws.folders = append(ws.folders, &folder{id: ws.folderSeq, name: name, createdAt: d.asOf.AddDate(0, -6, 0)})
	}
	perm := rng.Perm(numAdvertisers)
	for i := 0; i < numTrackers; i++ {
		ws.linkSeq++
		b := &brandtracker{
			id:              uuid(rng),
			workspaceLinkID: ws.linkSeq,
			createdAt:       d.asOf.Add(-time.Duration(rng.IntN(300*24)) * time.Hour),
			active:          true,
		}
		_ = uuid(rng) // the former workspace link uuid: keeps the draws of later trackers stable
		a := d.advertisers[perm[i]]
		if i%5 == 4 && len(a.shops) > 0 {
			b.shopID = a.shops[0].id
		} else {
			b.advID = a.id
		}
		if f := rng.IntN(len(ws.folders) + 1); f < len(ws.folders) {
			b.folder = ws.folders[f]
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

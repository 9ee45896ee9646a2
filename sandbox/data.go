package sandbox

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
)

// Sizes of the synthetic data set.
const (
	numAdvertisers = 400
	numShops       = 300
	numAds         = 3000
	numTiktok      = 1500
	numGoogle      = 1000
	numTrackers    = 25
)

// dataset is the immutable synthetic catalogue shared by every Server with
// the same seed, as of one snapshot date. Every date in it is at or before
// asOf, the end of the latest ready day; ids and figures do not depend on
// asOf, so a new day shifts the dates and nothing else.
type dataset struct {
	asOf         time.Time
	ads          []*ad
	adByID       map[string]*ad
	advertisers  []*advertiser
	advByID      map[string]*advertiser
	influencers  []*advertiser
	shops        []*shop
	shopByID     map[string]*shop
	shopByDomain map[string]*shop
	tiktok       []*tiktokItem
	tiktokByID   map[string]*tiktokItem
	google       []*googleAd
	emails       []*email
	emailByID    map[string]*email
	emailsByShop map[string][]*email
	categories   []string // shop categories; a category's id is its index + 1
}

// dataKey identifies a data set.
type dataKey struct {
	seed int64
	asOf int64
}

// datasets caches the data sets of the last few (seed, day) pairs: a server
// whose clock crosses a refresh builds the new day's set once.
var datasets = struct {
	sync.Mutex
	m     map[dataKey]*datasetOnce
	order []dataKey
}{m: map[dataKey]*datasetOnce{}}

// maxDatasets bounds the cache.
const maxDatasets = 6

type datasetOnce struct {
	once sync.Once
	d    *dataset
}

// dataAt returns the data set of s's seed as of the latest ready date at
// now, building it on first use.
func (s *Server) dataAt(now time.Time) *dataset {
	asOf := LatestReadyDate(now).AddDate(0, 0, 1)
	k := dataKey{s.seed, asOf.Unix()}
	datasets.Lock()
	o := datasets.m[k]
	if o == nil {
		o = &datasetOnce{}
		datasets.m[k] = o
		datasets.order = append(datasets.order, k)
		if len(datasets.order) > maxDatasets {
			delete(datasets.m, datasets.order[0])
			datasets.order = datasets.order[1:]
		}
	}
	datasets.Unlock()
	o.once.Do(func() { o.d = generate(s.seed, asOf) })
	return o.d
}

// niche is a product vertical; its word appears in brand names and copy so
// that searches for common words match many rows.
type niche struct {
	word     string
	weight   int
	suffixes []string
	products []string
	category string
	hashtags []string
}

var niches = []niche{
	{"shoes", 4, []string{"Shoes", "Footwear", "Sneakers"}, []string{"running shoes", "trail shoes", "leather sneakers", "slip-on shoes", "walking shoes"}, "Shoes", []string{"sneakers", "shoes", "ootd"}},
	{"skincare", 4, []string{"Skincare", "Skin", "Derm"}, []string{"vitamin C serum", "night cream", "retinol serum", "skincare set", "mineral sunscreen"}, "Beauty & Personal Care", []string{"skincare", "glowup", "skintok"}},
	{"coffee", 3, []string{"Coffee Co", "Roasters", "Coffee"}, []string{"cold brew coffee", "espresso beans", "coffee grinder", "single-origin coffee", "coffee pods"}, "Food & Beverage", []string{"coffee", "coffeetok", "morningroutine"}},
	{"fitness", 3, []string{"Fitness", "Athletics", "Gym"}, []string{"resistance bands", "fitness tracker", "adjustable dumbbells", "workout leggings", "protein shaker"}, "Sports & Fitness", []string{"fitness", "gymtok", "workout"}},
	{"pet", 3, []string{"Pet Co", "Pets", "Pet Supply"}, []string{"dog harness", "cat tree", "orthopedic pet bed", "grain-free dog food", "pet camera"}, "Pet Supplies", []string{"pet", "dogsoftiktok", "catlover"}},
	{"jewelry", 1, []string{"Jewelry", "Jewels", "Gems"}, []string{"gold hoops", "pearl necklace", "stacking rings", "charm bracelet", "jewelry box"}, "Jewelry & Accessories", []string{"jewelry", "goldjewelry", "accessories"}},
	{"home", 2, []string{"Home", "Living", "Home Goods"}, []string{"linen throw", "scented candle", "ceramic vase", "home organizer", "wool rug"}, "Home & Garden", []string{"home", "homedecor", "cozy"}},
	{"kitchen", 1, []string{"Kitchen", "Cookware", "Kitchenware"}, []string{"cast iron skillet", "chef knife", "kitchen scale", "nonstick pan", "knife set"}, "Home & Garden", []string{"kitchen", "cooking", "foodtok"}},
	{"fashion", 2, []string{"Apparel", "Fashion", "Clothing"}, []string{"linen shirt", "oversized hoodie", "midi dress", "wide-leg jeans", "fashion basics"}, "Apparel", []string{"fashion", "style", "outfit"}},
	{"beauty", 2, []string{"Beauty", "Cosmetics", "Makeup"}, []string{"lip tint", "mascara", "beauty blender", "bronzer palette", "setting spray"}, "Beauty & Personal Care", []string{"beauty", "makeup", "grwm"}},
	{"supplements", 2, []string{"Nutrition", "Supplements", "Labs"}, []string{"collagen powder", "magnesium supplements", "greens powder", "vitamin gummies", "protein powder"}, "Health", []string{"supplements", "wellness", "guthealth"}},
	{"outdoor", 1, []string{"Outdoor", "Outfitters", "Trail"}, []string{"camping tent", "hiking backpack", "outdoor jacket", "water bottle", "trekking poles"}, "Sports & Outdoors", []string{"outdoor", "hiking", "camping"}},
	{"baby", 1, []string{"Baby", "Kids", "Little Ones"}, []string{"baby carrier", "organic onesie", "baby monitor", "teething toy", "diaper bag"}, "Baby & Kids", []string{"baby", "momtok", "newborn"}},
	{"tech", 1, []string{"Tech", "Electronics", "Gadgets"}, []string{"wireless earbuds", "phone charger", "smart lamp", "tech organizer", "laptop stand"}, "Electronics", []string{"tech", "gadgets", "techtok"}},
	{"sleep", 1, []string{"Sleep", "Rest", "Dreams"}, []string{"silk pillowcase", "sleep mask", "weighted blanket", "memory foam pillow", "sleep spray"}, "Home & Garden", []string{"sleep", "selfcare", "nightroutine"}},
	{"tea", 1, []string{"Tea Co", "Teas", "Tea House"}, []string{"matcha tea", "loose leaf tea", "herbal tea", "tea set", "chai tea"}, "Food & Beverage", []string{"tea", "matcha", "teatime"}},
}

var brandPrefixes = []string{
	"Lumen", "Northpaw", "Ember", "Velvet", "Juniper", "Cobalt", "Marigold", "Summit",
	"Harbor", "Willow", "Atlas", "Fable", "Kindred", "Nomad", "Oak & Iris", "Pebble",
	"Quill", "Rowan", "Saffron", "Tidal", "Umber", "Verde", "Wren", "Yonder",
	"Zephyr", "Alder", "Bloom", "Cedar", "Drift", "Elm", "Fern", "Grove",
	"Haven", "Indigo", "Jade", "Kestrel", "Lark", "Maple", "Nova", "Orchid",
	"Pioneer", "Ridge", "Sable", "Thistle", "Vale", "Wild Ash", "Aurora", "Brook",
}

var (
	ctas       = []string{"Shop Now", "Learn More", "Order Now", "Get Offer", "Sign Up", "Buy Now"}
	countries  = []string{"US", "GB", "CA", "AU", "DE", "FR", "NL", "ES", "IT", "SE", "IE", "BE", "DK", "NZ"}
	euCountry  = map[string]bool{"DE": true, "FR": true, "NL": true, "ES": true, "IT": true, "SE": true, "IE": true, "BE": true, "DK": true}
	languages  = []string{"en", "en", "en", "de", "fr", "es", "nl"}
	currencies = map[string]string{"US": "USD", "GB": "GBP", "CA": "CAD", "AU": "AUD", "NZ": "NZD", "SE": "SEK", "DK": "DKK"}
	themes     = []string{"Dawn", "Impulse", "Prestige", "Sense", "Refresh", "Motion", "Craft"}
	apps       = []string{"Klaviyo", "Judge.me", "ReCharge", "Gorgias", "Yotpo", "Loox", "Afterpay", "Rebuy"}
	pixels     = []string{"Meta Pixel", "TikTok Pixel", "Google Analytics 4", "Pinterest Tag", "Snap Pixel"}
	titleTpls  = []string{
		"The %s everyone is talking about",
		"Meet your new favourite %s",
		"Why 10,000 customers switched to our %s",
		"Our best-selling %s is back in stock",
		"Upgrade your routine with the %s",
		"Limited drop: the %s",
	}
	bodyTpls = []string{
		"Designed for real life. Our %s is made to last, and our %s community loves it. Free shipping on orders over $50.",
		"Tired of %s that let you down? We rebuilt it from scratch. Rated 4.8 stars by the %s crowd. 30-day returns.",
		"New season, new %s. Join thousands discovering better %s. Today only: 20%% off sitewide.",
		"We spent two years perfecting this %s. Sustainable materials, honest pricing, and %s done right.",
	}
	hooks = []string{"Stop scrolling if you", "I wish I had found this sooner:", "POV: you finally", "3 reasons why", "Nobody talks about this but", "Watch this before you buy"}
)

// ad is one Facebook ad.
type ad struct {
	sum       apispec.AdSummary
	adv       *advertiser
	nicheIdx  int
	createdAt time.Time
	hook      string
	copyText  string // lower-cased title, body and CTA texts
	brandText string // lower-cased advertiser name and landing domain
	urlText   string // lower-cased landing page URL
	relevance int64  // default relevance rank when there is no search
	partner   *advertiser
}

type advertiser struct {
	id, name, logoURL, handle string
	nicheIdx                  int
	likes, followers          int64
	createdAt                 time.Time
	mainCountry               string
	shops                     []*shop
	domain                    string
	ads                       []*ad // newest first
	liveAds, reach30d         int64
	totalReach                int64
	countries                 []string
	newAds1d, newAds7d        int64
	newAds30d                 int64
	euShare                   float64
	reach14d                  int64
	latestAd                  time.Time
	searchName                string
	pageType                  string // brand or influencer
}

type shop struct {
	id, domain, name string
	nicheIdx         int
	createdAt        time.Time
	country          string
	language         string
	currency         string
	monthlyVisits    int64
	growth30d        float64
	growth90d        float64
	growth180d       float64
	productsCount    int64
	avgPrice         float64
	shopifyPlus      bool
	hasTikTok        bool
	tiktokFollowers  int64
	theme            string
	apps, pixels     []string
	advertisers      []*advertiser
	trustScore       float64
	trustReviews     int64
	googleAds        int64
	searchText       string
	categoryID       int64
}

type tiktokItem struct {
	row        apispec.TiktokItem
	createdAt  time.Time
	updatedAt  time.Time
	caption    string // lower-cased
	profile    string // lower-cased handle and nickname
	hashtags   string // lower-cased, space separated
	music      string // lower-cased
	relevance  int64
	domain     string
	handle     string
	countrySet []string
}

type googleAd struct {
	row        apispec.GoogleAd
	searchText string
	published  time.Time
}

func iso(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// dt is t as an API date-time.
func dt(t time.Time) apispec.DateTime { return apispec.DateTime(iso(t)) }

// day is t's calendar day as an API date.
func day(t time.Time) apispec.Date { return apispec.Date(t.UTC().Format(time.DateOnly)) }

func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// lognormal returns a heavy-tailed positive integer around median.
func lognormal(rng *rand.Rand, median float64, sigma float64) int64 {
	return int64(math.Round(median * math.Exp(rng.NormFloat64()*sigma)))
}

func pickNiche(rng *rand.Rand) int {
	total := 0
	for _, n := range niches {
		total += n.weight
	}
	x := rng.IntN(total)
	for i, n := range niches {
		if x < n.weight {
			return i
		}
		x -= n.weight
	}
	return 0
}

func pickCountries(rng *rand.Rand, main string) []string {
	set := []string{main}
	for n := rng.IntN(4); n > 0; n-- {
		c := pick(rng, countries)
		if !slices.Contains(set, c) {
			set = append(set, c)
		}
	}
	slices.Sort(set)
	return set
}

// generate builds the data set for seed as of asOf. It is deterministic.
func generate(seed int64, asOf time.Time) *dataset {
	rng := rand.New(rand.NewPCG(uint64(seed), 0xda7a))
	d := &dataset{
		asOf:         asOf,
		adByID:       make(map[string]*ad, numAds),
		advByID:      make(map[string]*advertiser, numAdvertisers),
		shopByID:     make(map[string]*shop, numShops),
		shopByDomain: make(map[string]*shop, numShops),
		tiktokByID:   make(map[string]*tiktokItem, numTiktok),
		emailByID:    map[string]*email{},
		emailsByShop: map[string][]*email{},
	}
	d.genAdvertisers(rng)
	d.genShops(rng)
	d.genAds(rng)
	d.genTiktok(rng)
	d.genGoogle(rng)
	d.genExtras(uint64(seed))
	return d
}

func (d *dataset) genAdvertisers(rng *rand.Rand) {
	used := map[string]bool{}
	for len(d.advertisers) < numAdvertisers {
		ni := pickNiche(rng)
		name := pick(rng, brandPrefixes) + " " + pick(rng, niches[ni].suffixes)
		if used[name] {
			continue
		}
		used[name] = true
		id := strconv.FormatInt(100000000000000+rng.Int64N(899999999999999), 10)
		if d.advByID[id] != nil {
			continue
		}
		a := &advertiser{
			id:          id,
			name:        name,
			nicheIdx:    ni,
			handle:      slug(name),
			likes:       lognormal(rng, 25000, 1.3),
			followers:   lognormal(rng, 18000, 1.4),
			createdAt:   d.asOf.AddDate(-rng.IntN(10)-1, -rng.IntN(12), -rng.IntN(28)),
			mainCountry: pick(rng, countries),
			domain:      slug(name) + ".example",
		}
		a.logoURL = "https://cdn.sandbox.trendtrack.example/pages/" + id + "/logo.jpg"
		a.searchName = strings.ToLower(name)
		d.advertisers = append(d.advertisers, a)
		d.advByID[id] = a
	}
}

func (d *dataset) genShops(rng *rand.Rand) {
	perm := rng.Perm(numAdvertisers)
	for i := 0; i < numShops; i++ {
		a := d.advertisers[perm[i]]
		c := a.mainCountry
		cur := currencies[c]
		if cur == "" {
			cur = "EUR"
		}
		sh := &shop{
			id:            strconv.Itoa(100000 + i*37 + rng.IntN(30)),
			domain:        a.domain,
			name:          a.name,
			nicheIdx:      a.nicheIdx,
			createdAt:     d.asOf.AddDate(-rng.IntN(6), -rng.IntN(12), -rng.IntN(28)),
			country:       c,
			language:      pick(rng, languages),
			currency:      cur,
			monthlyVisits: lognormal(rng, 60000, 1.5),
			growth30d:     math.Round((rng.NormFloat64()*18)*10) / 10,
			growth90d:     math.Round((rng.NormFloat64()*30)*10) / 10,
			growth180d:    math.Round((rng.NormFloat64()*45)*10) / 10,
			productsCount: int64(5 + rng.IntN(600)),
			avgPrice:      math.Round((15+rng.Float64()*120)*100) / 100,
			shopifyPlus:   rng.IntN(5) == 0,
			hasTikTok:     rng.IntN(2) == 0,
			theme:         pick(rng, themes),
			trustScore:    math.Round((3+rng.Float64()*2)*10) / 10,
			trustReviews:  lognormal(rng, 300, 1.2),
			googleAds:     int64(rng.IntN(40)),
			advertisers:   []*advertiser{a},
		}
		if sh.hasTikTok {
			sh.tiktokFollowers = lognormal(rng, 12000, 1.5)
		}
		for _, x := range rng.Perm(len(apps))[:2+rng.IntN(4)] {
			sh.apps = append(sh.apps, apps[x])
		}
		for _, x := range rng.Perm(len(pixels))[:1+rng.IntN(3)] {
			sh.pixels = append(sh.pixels, pixels[x])
		}
		a.shops = append(a.shops, sh)
		d.shops = append(d.shops, sh)
		d.shopByID[sh.id] = sh
		d.shopByDomain[sh.domain] = sh
	}
	// Some advertisers without a shop of their own also sell through one.
	for _, i := range perm[numShops:] {
		a := d.advertisers[i]
		if rng.IntN(3) != 0 {
			continue
		}
		sh := d.shops[rng.IntN(numShops)]
		sh.advertisers = append(sh.advertisers, a)
		a.shops = append(a.shops, sh)
	}
	for _, sh := range d.shops {
		sh.searchText = strings.ToLower(sh.name + " " + sh.domain)
	}
}

func (d *dataset) genAds(rng *rand.Rand) {
	weights := make([]float64, numAdvertisers)
	var total float64
	for i := range weights {
		weights[i] = rng.ExpFloat64() * rng.ExpFloat64()
		total += weights[i]
	}
	owner := func(i int) *advertiser {
		if i < numAdvertisers {
			return d.advertisers[i]
		}
		x := rng.Float64() * total
		for j, w := range weights {
			if x < w {
				return d.advertisers[j]
			}
			x -= w
		}
		return d.advertisers[numAdvertisers-1]
	}
	for i := 0; i < numAds; i++ {
		a := owner(i)
		n := niches[a.nicheIdx]
		product := pick(rng, n.products)
		created := d.asOf.Add(-time.Duration(rng.IntN(720*24*60)) * time.Minute)
		active := rng.IntN(10) < 6
		last := d.asOf
		if !active {
			span := int(d.asOf.Sub(created).Hours()/24) + 1
			last = created.AddDate(0, 0, rng.IntN(span))
		}
		days := int(last.Sub(created).Hours()/24) + 1
		reach := lognormal(rng, 40000, 1.6)
		main := a.mainCountry
		if rng.IntN(4) == 0 {
			main = pick(rng, countries)
		}
		mediaType := "image"
		switch x := rng.IntN(20); {
		case x < 8:
			mediaType = "video"
		case x < 11:
			mediaType = "carousel"
		}
		id := "facebook_" + strconv.FormatInt(120200000000000000+int64(i)*1000003+int64(rng.IntN(1000)), 10)
		landing := "https://" + a.domain + "/products/" + strings.ReplaceAll(product, " ", "-")
		x := &ad{adv: a, nicheIdx: a.nicheIdx, createdAt: created, hook: pick(rng, hooks) + " " + product}
		title := fmt.Sprintf(pick(rng, titleTpls), product)
		body := fmt.Sprintf(pick(rng, bodyTpls), product, n.word)
		var transcript *string
		if mediaType == "video" {
			t := x.hook + ". " + body
			transcript = &t
		}
		var collation *string
		if rng.IntN(3) == 0 {
			c := "col_" + strconv.FormatInt(rng.Int64N(1e12), 36)
			collation = &c
		}
		targeted := pickCountries(rng, main)
		ageMin := 18 + 5*rng.IntN(4)
		x.sum = apispec.AdSummary{
			ID:          id,
			CollationID: collation,
			Platform:    "facebook",
			Status:      map[bool]string{true: "active", false: "inactive"}[active],
			CreatedAt:   dt(created),
			FirstSeenAt: dt(created.Add(time.Duration(rng.IntN(36)) * time.Hour)),
			LastSeenAt:  dt(last),
			DaysRunning: days,
			Media: apispec.AdMedia{
				Type:         mediaType,
				ThumbnailURL: "https://cdn.sandbox.trendtrack.example/ads/" + id + "/thumb.jpg",
				MediaURL:     "https://cdn.sandbox.trendtrack.example/ads/" + id + map[bool]string{true: "/video.mp4", false: "/image.jpg"}[mediaType == "video"],
			},
			Content: apispec.AdContent{
				Title:              title,
				Body:               body,
				Transcript:         transcript,
				CallToAction:       pick(rng, ctas),
				LandingPageURL:     landing,
				LandingPageDomain:  a.domain,
				CtaDescription:     "Free shipping on " + n.word + " orders",
				CtaLinkDescription: a.domain,
			},
			Metrics: apispec.AdMetrics{
				Reach:           reach,
				AggregatedReach: reach + lognormal(rng, 5000, 1.2),
				EstimatedSpend:  estimatedSpend(reach, 9),
				Duplicates:      int64(rng.IntN(40)),
				ReachDelta1d:    int64(float64(reach) * rng.Float64() * 0.02),
				ReachDelta7d:    int64(float64(reach) * rng.Float64() * 0.1),
				ReachDelta30d:   int64(float64(reach) * rng.Float64() * 0.35),
			},
			Audience: apispec.AdAudience{
				TargetedCountries: targeted,
				MainCountry:       main,
				Gender:            pick(rng, []string{"all", "all", "all", "women", "men"}),
				AgeMin:            ageMin,
				AgeMax:            ageMin + 20 + 5*rng.IntN(6),
			},
			Rank: apispec.AdRank{
				PositionInPage: 1 + rng.IntN(50),
				CurrentRank:    1 + rng.IntN(500),
				RankDelta:      rng.IntN(41) - 20,
				ImprovementPct: math.Round(rng.NormFloat64()*150) / 10,
			},
			Flags: apispec.AdFlags{
				IsEuAd:          euCountry[main],
				IsLowReach:      reach < 1000,
				IsMediaChanged:  rng.IntN(8) == 0,
				HasPartnerBadge: rng.IntN(12) == 0,
			},
		}
		if !active {
			x.sum.Metrics.ReachDelta1d, x.sum.Metrics.ReachDelta7d = 0, 0
		}
		x.copyText = strings.ToLower(title + " " + body + " " + x.sum.Content.CtaDescription)
		x.brandText = a.searchName + " " + a.domain
		x.urlText = strings.ToLower(landing)
		x.relevance = rng.Int64N(1 << 40)
		a.ads = append(a.ads, x)
		d.ads = append(d.ads, x)
		d.adByID[id] = x
	}
	for _, a := range d.advertisers {
		slices.SortFunc(a.ads, func(p, q *ad) int { return q.createdAt.Compare(p.createdAt) })
		set := map[string]bool{}
		var eu int
		for _, x := range a.ads {
			a.totalReach += x.sum.Metrics.Reach
			if x.sum.Status == "active" {
				a.liveAds++
				a.reach30d += x.sum.Metrics.ReachDelta30d
				a.reach14d += x.sum.Metrics.ReachDelta30d / 2
			}
			age := d.asOf.Sub(x.createdAt)
			if age <= 24*time.Hour {
				a.newAds1d++
			}
			if age <= 7*24*time.Hour {
				a.newAds7d++
			}
			if age <= 30*24*time.Hour {
				a.newAds30d++
			}
			if x.sum.Flags.IsEuAd {
				eu++
			}
			for _, c := range x.sum.Audience.TargetedCountries {
				set[c] = true
			}
		}
		for c := range set {
			a.countries = append(a.countries, c)
		}
		slices.Sort(a.countries)
		if len(a.ads) > 0 {
			a.euShare = math.Round(float64(eu)/float64(len(a.ads))*1000) / 1000
			a.latestAd = a.ads[0].createdAt
		}
	}
	for _, x := range d.ads {
		x.sum.Advertiser = apispec.AdAdvertiser{
			ID: x.adv.id, Name: x.adv.name, LogoURL: x.adv.logoURL, FacebookPageID: x.adv.id,
			LiveAdsCount: x.adv.liveAds, Reach30d: x.adv.reach30d, TotalReach: x.adv.totalReach,
			CountriesCount: len(x.adv.countries), FacebookLikes: x.adv.likes, InstagramFollowers: x.adv.followers,
		}
	}
}

func estimatedSpend(reach, cpm int64) int64 {
	return int64(math.Round(float64(reach) * float64(cpm) / 1000))
}

var musicTitles = []string{"original sound", "Golden Hour", "Espresso", "Cruel Summer", "Lo-fi morning", "Sunday Reset"}

func (d *dataset) genTiktok(rng *rand.Rand) {
	creators := []string{"mia", "jay", "lena", "theo", "sofia", "noah", "ava", "leo", "zoe", "max"}
	for i := 0; i < numTiktok; i++ {
		isAd := rng.IntN(3) == 0
		var a *advertiser
		var sh *shop
		if isAd || rng.IntN(3) == 0 {
			a = d.advertisers[rng.IntN(numAdvertisers)]
			if len(a.shops) > 0 {
				sh = a.shops[0]
			}
		}
		ni := pickNiche(rng)
		var handle, nickname string
		var followers int64
		if a != nil {
			ni = a.nicheIdx
			handle, nickname, followers = a.handle, a.name, a.followers
		} else {
			c := pick(rng, creators)
			handle = c + "." + niches[ni].word + strconv.Itoa(rng.IntN(100))
			nickname = strings.ToUpper(c[:1]) + c[1:] + " | " + niches[ni].word
			followers = lognormal(rng, 30000, 1.8)
		}
		n := niches[ni]
		product := pick(rng, n.products)
		tags := []string{n.hashtags[0], pick(rng, n.hashtags), "fyp"}
		tags = slices.Compact(tags)
		caption := fmt.Sprintf("%s %s #%s", pick(rng, hooks), product, strings.Join(tags, " #"))
		created := d.asOf.Add(-time.Duration(rng.IntN(365*24*60)) * time.Minute)
		updated := created.Add(time.Duration(rng.IntN(int(d.asOf.Sub(created)/time.Minute)+1)) * time.Minute)
		views := lognormal(rng, 80000, 1.8)
		likes := int64(float64(views) * (0.01 + rng.Float64()*0.08))
		comments := likes / int64(20+rng.IntN(40))
		shares := likes / int64(10+rng.IntN(30))
		saves := likes / int64(8+rng.IntN(20))
		typ := "organic"
		if isAd {
			typ = "ad"
		}
		status := "active"
		if rng.IntN(4) == 0 {
			status = "inactive"
		}
		tid := strconv.FormatInt(7200000000000000000+int64(i)*100003+int64(rng.IntN(1000)), 10)
		music := pick(rng, musicTitles)
		it := &tiktokItem{createdAt: created, updatedAt: updated, relevance: rng.Int64N(1 << 40), handle: handle}
		it.countrySet = pickCountries(rng, pick(rng, countries))
		it.row = apispec.TiktokItem{
			ID:          "tiktok_" + tid,
			TiktokID:    tid,
			Type:        typ,
			Status:      status,
			DaysRunning: int(d.asOf.Sub(created).Hours()/24) + 1,
			CreatedAt:   dt(created),
			UpdatedAt:   dt(updated),
			Media: apispec.TiktokMedia{
				Type:            "video",
				ThumbnailURL:    "https://cdn.sandbox.trendtrack.example/tiktok/" + tid + "/cover.jpg",
				VideoURL:        "https://cdn.sandbox.trendtrack.example/tiktok/" + tid + "/video.mp4",
				DurationSeconds: 6 + rng.IntN(90),
			},
			Content: apispec.TiktokContent{
				Caption:  caption,
				Hashtags: tags,
				Music:    apispec.TiktokMusic{Title: music, Author: nickname},
				Language: pick(rng, languages),
			},
			Metrics: apispec.TiktokMetrics{
				Views: views, Likes: likes, Comments: comments, Shares: shares, Saves: saves,
				EngagementRate: math.Round(float64(likes+comments+shares+saves)/float64(max(views, 1))*10000) / 100,
			},
			Profile:   apispec.TiktokProfile{ID: strconv.FormatInt(6800000000000000000+rng.Int64N(1e17), 10), Handle: handle, Nickname: nickname, Followers: followers, Verified: followers > 200000},
			Countries: it.countrySet,
		}
		if sh != nil {
			it.row.Shop = &apispec.ShopRef{ID: sh.id, Domain: sh.domain, Name: sh.name}
			it.domain = sh.domain
		}
		it.caption = strings.ToLower(caption)
		it.profile = strings.ToLower(handle + " " + nickname)
		it.hashtags = strings.ToLower(strings.Join(tags, " "))
		it.music = strings.ToLower(music + " " + nickname)
		d.tiktok = append(d.tiktok, it)
	}
}

var googleNetworks = []string{"search", "search", "shopping", "shopping", "youtube", "maps", "other"}

func (d *dataset) genGoogle(rng *rand.Rand) {
	for i := 0; i < numGoogle; i++ {
		sh := d.shops[rng.IntN(numShops)]
		n := niches[sh.nicheIdx]
		product := pick(rng, n.products)
		network := pick(rng, googleNetworks)
		first := d.asOf.Add(-time.Duration(rng.IntN(400*24)) * time.Hour)
		status := "active"
		last := d.asOf
		if rng.IntN(3) == 0 {
			status = "inactive"
			last = first.Add(time.Duration(rng.IntN(int(d.asOf.Sub(first).Hours())+1)) * time.Hour)
		}
		mediaType := "text"
		switch network {
		case "shopping":
			mediaType = "image"
		case "youtube":
			mediaType = "video"
		}
		reach := lognormal(rng, 20000, 1.5)
		gid := fmt.Sprintf("CR%020d", rng.Int64N(1e18)+int64(i))
		headline := fmt.Sprintf("%s | %s - Official Store", strings.ToUpper(product[:1])+product[1:], sh.name)
		desc := fmt.Sprintf("Shop %s at %s. Free shipping on %s orders over $50.", product, sh.domain, n.word)
		g := &googleAd{published: first}
		g.row = apispec.GoogleAd{
			ID: "google_" + gid, GoogleAdID: gid, Status: status, Network: network,
			FirstSeenAt: dt(first), LastSeenAt: dt(last), DaysRunning: int(last.Sub(first).Hours()/24) + 1,
			Media: apispec.GoogleMedia{Type: mediaType, Headline: headline, Description: desc},
			Advertiser: apispec.GoogleAdvertiser{
				ID: fmt.Sprintf("AR%020d", rng.Int64N(1e18)), Name: sh.name, Domain: sh.domain, Verified: rng.IntN(3) != 0,
			},
			Reach: apispec.GoogleReach{Value: reach, LowerBound: reach * 8 / 10, UpperBound: reach * 12 / 10},
			Audience: apispec.GoogleAudience{
				Countries:   pickCountries(rng, sh.country),
				CategoryIDs: []int64{int64(1 + sh.nicheIdx)},
			},
		}
		if mediaType == "image" {
			u := "https://cdn.sandbox.trendtrack.example/google/" + gid + ".jpg"
			g.row.Media.ImageURL = &u
		}
		if mediaType == "video" {
			u := "https://cdn.sandbox.trendtrack.example/google/" + gid + ".mp4"
			g.row.Media.VideoURL = &u
		}
		g.searchText = strings.ToLower(headline + " " + desc + " " + sh.name + " " + sh.domain)
		d.google = append(d.google, g)
	}
}

package sandbox

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
)

// The parts of the data set added after the first ones (page types, ad
// languages, partners, emails, categories). Each draws from a random
// source of its own, seeded by the seed and an id, so that adding them left
// every earlier id and figure unchanged.

// subRNG returns a random source for one thing of the data set.
func subRNG(seed uint64, id string) *rand.Rand {
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// hashOf is a stable hash of s.
func hashOf(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

// email is one marketing email of a shop.
type email struct {
	row   apispec.Email
	shop  *shop
	sent  time.Time
	text  string // lower-cased subject, preheader and sender
	body  string
	links []apispec.EmailLink
}

var (
	emailSubjects = map[string][]string{
		"promotional":    {"%[1]d%% off our %[2]s, today only", "Last chance: %[1]d%% off %[2]s", "Your %[1]d%% code for %[2]s inside"},
		"newsletter":     {"What's new at %[3]s this week", "The %[3]s journal: stories and tips"},
		"welcome":        {"Welcome to %[3]s", "Thanks for joining %[3]s"},
		"abandoned_cart": {"You left the %[2]s in your cart", "Still thinking about the %[2]s?"},
		"transactional":  {"Your %[3]s order has shipped", "Order confirmation from %[3]s"},
	}
	emailTypeList = []string{"promotional", "promotional", "promotional", "newsletter", "newsletter", "welcome", "abandoned_cart", "transactional"}
)

// genExtras builds what the first generators do not.
func (d *dataset) genExtras(seed uint64) {
	for _, a := range d.advertisers {
		r := subRNG(seed, "page:"+a.id)
		a.pageType = "brand"
		if r.IntN(7) == 0 {
			a.pageType = "influencer"
			d.influencers = append(d.influencers, a)
		}
	}
	for _, x := range d.ads {
		lang := "en"
		if len(x.adv.shops) > 0 {
			lang = x.adv.shops[0].language
		}
		x.sum.Content.Language = lang
		if x.sum.Flags.HasPartnerBadge && len(d.influencers) > 0 {
			p := d.influencers[hashOf(x.sum.ID)%uint64(len(d.influencers))]
			if p == x.adv {
				p = d.influencers[(hashOf(x.sum.ID)+1)%uint64(len(d.influencers))]
			}
			x.partner = p
		}
	}
	for _, it := range d.tiktok {
		d.tiktokByID[it.row.ID] = it
	}
	seen := map[string]bool{}
	for _, n := range niches {
		if !seen[n.category] {
			seen[n.category] = true
			d.categories = append(d.categories, n.category)
		}
	}
	slices.Sort(d.categories)
	for _, sh := range d.shops {
		sh.categoryID = int64(slices.Index(d.categories, niches[sh.nicheIdx].category) + 1)
		d.genEmails(seed, sh)
	}
	slices.SortFunc(d.emails, func(a, b *email) int { return b.sent.Compare(a.sent) })
}

// genEmails gives a shop its emails of the last 180 days.
func (d *dataset) genEmails(seed uint64, sh *shop) {
	r := subRNG(seed, "emails:"+sh.id)
	n := niches[sh.nicheIdx]
	count := 2 + r.IntN(12)
	for i := 0; i < count; i++ {
		typ := pick(r, emailTypeList)
		product := pick(r, n.products)
		pct := 10 + 5*r.IntN(7)
		subject := fmt.Sprintf(pick(r, emailSubjects[typ]), pct, product, sh.name)
		sent := d.asOf.Add(-time.Duration(r.IntN(180*24*60)) * time.Minute)
		e := &email{shop: sh, sent: sent}
		var discount *int
		if typ == "promotional" || (typ == "abandoned_cart" && r.IntN(2) == 0) {
			discount = &pct
		}
		e.row = apispec.Email{
			ID: uuid(r), ShopID: sh.id, Domain: sh.domain,
			Subject:   subject,
			Preheader: "Free shipping on " + n.word + " orders over $50.",
			Sender:    apispec.EmailSender{Name: sh.name, Address: "hello@" + sh.domain},
			SentAt:    dt(sent), Type: typ,
			HasDiscount: discount != nil, DiscountPercent: discount, Language: sh.language,
		}
		e.body = fmt.Sprintf("Hi there,\n\n%s. Our %s is loved by the %s community.\n\nShop now: https://%s/products/%s\n\nThe %s team",
			subject, product, n.word, sh.domain, strings.ReplaceAll(product, " ", "-"), sh.name)
		e.links = []apispec.EmailLink{
			{URL: "https://" + sh.domain + "/products/" + strings.ReplaceAll(product, " ", "-"), Text: "Shop now"},
			{URL: "https://" + sh.domain + "/pages/unsubscribe", Text: "Unsubscribe"},
		}
		e.text = strings.ToLower(subject + " " + e.row.Preheader + " " + sh.name + " " + sh.domain)
		d.emails = append(d.emails, e)
		d.emailByID[e.row.ID] = e
		d.emailsByShop[sh.id] = append(d.emailsByShop[sh.id], e)
	}
	slices.SortFunc(d.emailsByShop[sh.id], func(a, b *email) int { return b.sent.Compare(a.sent) })
}

// products returns a shop's catalog, most popular first.
func (d *dataset) products(sh *shop) []apispec.ShopProduct {
	r := subRNG(uint64(len(sh.id)), "products:"+sh.id)
	n := niches[sh.nicheIdx]
	out := make([]apispec.ShopProduct, sh.productsCount)
	for i := range out {
		p := n.products[i%len(n.products)]
		title := strings.ToUpper(p[:1]) + p[1:]
		if i >= len(n.products) {
			title += " " + strconv.Itoa(i/len(n.products)+1)
		}
		handle := strings.ReplaceAll(strings.ToLower(title), " ", "-")
		out[i] = apispec.ShopProduct{
			ID:             sh.id + "-" + strconv.Itoa(i+1),
			Title:          title,
			Price:          float64(int((sh.avgPrice*(0.4+r.Float64()*1.2))*100)) / 100,
			Currency:       sh.currency,
			URL:            "https://" + sh.domain + "/products/" + handle,
			ImageURL:       "https://cdn.sandbox.trendtrack.example/products/" + sh.id + "/" + strconv.Itoa(i+1) + ".jpg",
			PopularityRank: i + 1,
			CreatedAt:      dt(sh.createdAt.Add(time.Duration(r.Int64N(int64(d.asOf.Sub(sh.createdAt)/time.Hour)+1)) * time.Hour)),
		}
	}
	return out
}

// facet kinds and their rows: id, name, how many shops use it.
func (d *dataset) facets(kind string) []apispec.Facet {
	count := map[string]int64{}
	var names []string
	var base int64
	switch kind {
	case "category":
		names = d.categories
		for _, sh := range d.shops {
			count[niches[sh.nicheIdx].category]++
		}
	case "shopify_app":
		names, base = apps, 100
		for _, sh := range d.shops {
			for _, a := range sh.apps {
				count[a]++
			}
		}
	case "theme":
		names, base = themes, 200
		for _, sh := range d.shops {
			count[sh.theme]++
		}
	case "pixel":
		names, base = pixels, 300
		for _, sh := range d.shops {
			for _, p := range sh.pixels {
				count[p]++
			}
		}
	}
	out := make([]apispec.Facet, len(names))
	for i, n := range names {
		out[i] = apispec.Facet{ID: base + int64(i) + 1, Name: n, Kind: kind, ShopsCount: count[n]}
	}
	slices.SortStableFunc(out, func(a, b apispec.Facet) int {
		if a.ShopsCount != b.ShopsCount {
			return int(b.ShopsCount - a.ShopsCount)
		}
		return int(a.ID - b.ID)
	})
	return out
}

// facetID returns the id of a named app, theme or pixel.
func facetID(kind, name string) int64 {
	switch kind {
	case "shopify_app":
		return 100 + int64(slices.Index(apps, name)) + 1
	case "theme":
		return 200 + int64(slices.Index(themes, name)) + 1
	case "pixel":
		return 300 + int64(slices.Index(pixels, name)) + 1
	}
	return 0
}

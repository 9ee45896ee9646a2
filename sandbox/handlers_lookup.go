package sandbox

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
)

func init() {
	handle(map[string]handler{
		"lookup":             handleLookup,
		"lookupFacebookShop": handleLookupFacebookShop,
	})
}

// lookupMatch scores q against the candidate fields (name → value): 1 for an
// exact match, len(q)/len(value) for a substring, 0 for none.
func lookupMatch(q string, fields [][2]string) (score float64, field string) {
	for _, f := range fields {
		v := f[1]
		if v == "" {
			continue
		}
		var s float64
		switch {
		case v == q:
			s = 1
		case strings.Contains(v, q):
			s = math.Min(0.99, math.Round(float64(len(q))/float64(len(v))*1000)/1000)
		}
		if s > score {
			score, field = s, f[0]
		}
	}
	return score, field
}

// named is a lookup row and the name it sorts by.
type named struct {
	row  apispec.LookupRow
	name string
}

func handleLookup(c *call) (result, *apiError) {
	v := c.v
	raw := v.str("q")
	q := normalizeDomain(strings.TrimPrefix(strings.TrimSpace(raw), "@"))
	typ := v.str("type")
	limit := v.int("limit")
	d := c.data()

	// Brandtrackers of the workspace, by advertiser and shop.
	type tracked struct {
		id, name string
		added    apispec.DateTime
		pageID   *string
	}
	byAdv := map[*advertiser]tracked{}
	byShop := map[*shop]tracked{}
	type trackerRow struct {
		b   *brandtracker
		row apispec.Brandtracker
	}
	var trackers []trackerRow
	c.s.mu.Lock()
	c.s.ensureTrackers(c.ws, d)
	for _, b := range c.ws.trackers {
		if !b.active {
			continue
		}
		r := b.row(d)
		trackers = append(trackers, trackerRow{b, r})
		t := tracked{id: b.id, name: r.Name, added: r.WorkspaceAddedAt, pageID: r.FacebookPageID}
		for _, a := range b.advertisers(d) {
			byAdv[a] = t
		}
		if b.shopID != "" {
			byShop[d.shopByID[b.shopID]] = t
		}
	}
	c.s.mu.Unlock()

	fill := func(row *named, a *advertiser, sh *shop) {
		if a == nil && sh != nil && len(sh.advertisers) > 0 {
			a = sh.advertisers[0]
		}
		if sh == nil && a != nil && len(a.shops) > 0 {
			sh = a.shops[0]
		}
		r := &row.row
		if a != nil {
			id := a.id
			r.Advertiser = &apispec.LookupEntity{ID: a.id, Name: a.name, FacebookPageID: &id}
			r.Signals.HasAdvertiser = true
			r.Signals.ActiveAds, r.Signals.LiveAdsCount = a.liveAds, a.liveAds
			r.Signals.Reach30d, r.Signals.TotalReach = a.reach30d, a.totalReach
			if row.name == "" {
				row.name = a.name
			}
		}
		if sh != nil {
			ref := sh.ref()
			r.Shop = &ref
			r.Signals.HasShop = true
			r.Signals.MonthlyVisits = sh.monthlyVisits
			if row.name == "" {
				row.name = sh.name
			}
		}
		t, ok := byAdv[a]
		if !ok && sh != nil {
			t, ok = byShop[sh]
		}
		if ok {
			r.Brandtracker = &apispec.LookupEntity{ID: t.id, Name: t.name, FacebookPageID: t.pageID}
			r.Signals.HasBrandtracker = true
			added := t.added
			r.Signals.WorkspaceAddedAt = &added
		}
	}

	var out []named
	covered := map[*advertiser]bool{}
	add := func(kind string, score float64, field string, a *advertiser, sh *shop) {
		if score == 0 {
			return
		}
		row := named{row: apispec.LookupRow{Type: kind, MatchType: "fuzzy", MatchField: field, Score: score}}
		if score == 1 {
			row.row.MatchType = "exact"
		}
		fill(&row, a, sh)
		if row.row.Advertiser != nil {
			covered[d.advByID[row.row.Advertiser.ID]] = true
		}
		out = append(out, row)
	}
	if typ == "auto" || typ == "brandtracker" {
		for _, t := range trackers {
			r := t.row
			fields := [][2]string{{"name", strings.ToLower(r.Name)}}
			if r.FacebookPageID != nil {
				fields = append(fields, [2]string{"facebookPageId", *r.FacebookPageID})
			}
			for _, w := range r.Websites {
				fields = append(fields, [2]string{"domain", w.Domain})
			}
			s, f := lookupMatch(q, fields)
			var a *advertiser
			if r.FacebookPageID != nil {
				a = d.advByID[*r.FacebookPageID]
			}
			add("brandtracker", s, f, a, d.shopByID[t.b.shopID])
		}
	}
	if typ == "auto" || typ == "advertiser" {
		for _, a := range d.advertisers {
			if typ == "auto" && covered[a] {
				continue
			}
			s, f := lookupMatch(q, [][2]string{{"name", a.searchName}, {"facebookPageId", a.id}, {"instagramHandle", a.handle}, {"domain", a.domain}})
			add("advertiser", s, f, a, nil)
		}
	}
	if typ == "auto" || typ == "shop" {
		for _, sh := range d.shops {
			if typ == "auto" && len(sh.advertisers) > 0 && covered[sh.advertisers[0]] {
				continue
			}
			s, f := lookupMatch(q, [][2]string{{"name", strings.ToLower(sh.name)}, {"domain", sh.domain}})
			add("shop", s, f, nil, sh)
		}
	}
	slices.SortStableFunc(out, func(a, b named) int {
		if c := cmp.Compare(b.row.Score, a.row.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.name, b.name)
	})
	out = out[:min(len(out), int(limit))]
	return result{
		rows: mapRows(out, func(n named) apispec.LookupRow { return n.row }),
		meta: apispec.LookupMeta{Q: raw, Type: typ, Limit: limit, Returned: len(out)},
	}, nil
}

func handleLookupFacebookShop(c *call) (result, *apiError) {
	v := c.v
	d := c.data()
	var out []apispec.FacebookShopLink
	link := func(a *advertiser, sh *shop) apispec.FacebookShopLink {
		id := a.id
		return apispec.FacebookShopLink{Advertiser: apispec.LookupEntity{ID: a.id, Name: a.name, FacebookPageID: &id},
			Shop: sh.ref(), IsPrimary: len(a.shops) > 0 && a.shops[0] == sh}
	}
	page := v.str("facebookPageId") + v.str("facebook_id") + v.str("fb_page_id")
	if page != "" {
		if a := d.advByID[page]; a != nil {
			for _, sh := range a.shops {
				out = append(out, link(a, sh))
			}
		}
	} else {
		id := v.str("shopId") + v.str("website_id")
		if sh := d.shopByID[id]; sh != nil {
			for _, a := range sh.advertisers {
				out = append(out, link(a, sh))
			}
		}
	}
	return result{rows: rowsOf(out)}, nil
}

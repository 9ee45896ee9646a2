package sandbox

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

type lookupRow struct {
	Type         string        `json:"type"`
	MatchType    string        `json:"matchType"`
	MatchField   string        `json:"matchField"`
	Score        float64       `json:"score"`
	Brandtracker *lookupEntity `json:"brandtracker"`
	Advertiser   *lookupEntity `json:"advertiser"`
	Shop         *shopRef      `json:"shop"`
	Signals      lookupSignals `json:"signals"`
	name         string
}

type lookupEntity struct {
	ID             string  `json:"id"`
	Name           string  `json:"name"`
	FacebookPageID *string `json:"facebookPageId"`
}

type lookupSignals struct {
	ActiveAds        int64   `json:"activeAds"`
	LiveAdsCount     int64   `json:"liveAdsCount"`
	Reach30d         int64   `json:"reach30d"`
	TotalReach       int64   `json:"totalReach"`
	MonthlyVisits    int64   `json:"monthlyVisits"`
	WorkspaceAddedAt *string `json:"workspaceAddedAt"`
	HasBrandtracker  bool    `json:"hasBrandtracker"`
	HasAdvertiser    bool    `json:"hasAdvertiser"`
	HasShop          bool    `json:"hasShop"`
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

func handleLookup(c *call) (reply, *apiError) {
	v := c.v
	raw := v.str("q")
	q := normalizeDomain(strings.TrimPrefix(strings.TrimSpace(raw), "@"))
	typ := v.str("type")
	limit := v.int("limit")
	d := c.s.data()

	// Brandtrackers of the workspace, by advertiser and shop.
	type tracked struct {
		id, name, added string
		pageID          *string
	}
	byAdv := map[*advertiser]tracked{}
	byShop := map[*shop]tracked{}
	c.s.mu.Lock()
	c.s.ensureTrackers(c.ws)
	var trackers []*brandtracker
	for _, b := range c.ws.trackers {
		if !b.active {
			continue
		}
		trackers = append(trackers, b)
		r := b.row()
		t := tracked{id: b.id, name: r.Name, added: r.CreatedAt, pageID: r.FacebookPageID}
		for _, a := range b.advertisers() {
			byAdv[a] = t
		}
		if b.shop != nil {
			byShop[b.shop] = t
		}
	}
	c.s.mu.Unlock()

	fill := func(row *lookupRow, a *advertiser, sh *shop) {
		if a == nil && sh != nil && len(sh.advertisers) > 0 {
			a = sh.advertisers[0]
		}
		if sh == nil && a != nil && len(a.shops) > 0 {
			sh = a.shops[0]
		}
		if a != nil {
			id := a.id
			row.Advertiser = &lookupEntity{ID: a.id, Name: a.name, FacebookPageID: &id}
			row.Signals.HasAdvertiser = true
			row.Signals.ActiveAds, row.Signals.LiveAdsCount = a.liveAds, a.liveAds
			row.Signals.Reach30d, row.Signals.TotalReach = a.reach30d, a.totalReach
			if row.name == "" {
				row.name = a.name
			}
		}
		if sh != nil {
			row.Shop = &shopRef{ID: sh.id, Domain: sh.domain, Name: sh.name}
			row.Signals.HasShop = true
			row.Signals.MonthlyVisits = sh.monthlyVisits
			if row.name == "" {
				row.name = sh.name
			}
		}
		t, ok := byAdv[a]
		if !ok && sh != nil {
			t, ok = byShop[sh]
		}
		if ok {
			row.Brandtracker = &lookupEntity{ID: t.id, Name: t.name, FacebookPageID: t.pageID}
			row.Signals.HasBrandtracker = true
			added := t.added
			row.Signals.WorkspaceAddedAt = &added
		}
	}

	var rows []lookupRow
	covered := map[*advertiser]bool{}
	add := func(kind string, score float64, field string, a *advertiser, sh *shop) {
		if score == 0 {
			return
		}
		row := lookupRow{Type: kind, MatchType: "fuzzy", MatchField: field, Score: score}
		if score == 1 {
			row.MatchType = "exact"
		}
		fill(&row, a, sh)
		if row.Advertiser != nil {
			covered[d.advByID[row.Advertiser.ID]] = true
		}
		rows = append(rows, row)
	}
	if typ == "auto" || typ == "brandtracker" {
		for _, b := range trackers {
			r := b.row()
			fields := [][2]string{{"name", strings.ToLower(r.Name)}}
			if r.FacebookPageID != nil {
				fields = append(fields, [2]string{"facebookPageId", *r.FacebookPageID})
			}
			for _, w := range r.Websites {
				fields = append(fields, [2]string{"domain", w})
			}
			s, f := lookupMatch(q, fields)
			var a *advertiser
			if r.FacebookPageID != nil {
				a = d.advByID[*r.FacebookPageID]
			}
			add("brandtracker", s, f, a, b.shop)
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
	slices.SortStableFunc(rows, func(a, b lookupRow) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.name, b.name)
	})
	rows = rows[:min(len(rows), int(limit))]
	if rows == nil {
		rows = []lookupRow{}
	}
	return reply{body: map[string]any{
		"data":      rows,
		"meta":      map[string]any{"q": raw, "type": typ, "limit": limit, "returned": len(rows)},
		"requestId": c.reqID,
	}}, nil
}

package sandbox

import (
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
)

func handleListTrackers(c *call) (reply, *apiError) {
	v := c.v
	name := strings.ToLower(v.str("name"))
	since, hasSince := v.time("hasNewAdsSince")
	folders := v.strs("folderIds")
	s := c.s
	s.mu.Lock()
	s.ensureTrackers(c.ws)
	var rows []brandtrackerRow
	for _, b := range c.ws.trackers {
		if !b.active {
			continue
		}
		if name != "" && !strings.Contains(strings.ToLower(b.name()), name) {
			continue
		}
		if hasSince && b.latestAd().Before(since) {
			continue
		}
		if len(folders) > 0 && (b.folder == nil || !contains(folders, b.folder.ID)) {
			continue
		}
		rows = append(rows, b.row())
	}
	s.mu.Unlock()
	asc := v.str("order") == "asc"
	id := func(r brandtrackerRow) string { return r.ID }
	switch v.str("sortBy") {
	case "name":
		sortRows(rows, asc, func(r brandtrackerRow) string { return strings.ToLower(r.Name) }, id)
	case "createdAt":
		sortRows(rows, asc, func(r brandtrackerRow) string { return r.CreatedAt }, id)
	default:
		var key func(r brandtrackerRow) int64
		switch v.str("sortBy") {
		case "newAdsLastDay":
			key = func(r brandtrackerRow) int64 { return r.Advertising.NewAdsLastDay }
		case "newAdsLast7Days":
			key = func(r brandtrackerRow) int64 { return r.Advertising.NewAdsLast7Days }
		case "newAdsLast30Days":
			key = func(r brandtrackerRow) int64 { return r.Advertising.NewAdsLast30Days }
		case "activeAds":
			key = func(r brandtrackerRow) int64 { return r.Advertising.ActiveAds }
		default: // totalTraffic
			key = func(r brandtrackerRow) int64 { return r.TotalTraffic }
		}
		sortRows(rows, asc, key, id)
	}
	page, pg := byPage(rows, v.int("page"), v.int("limit"))
	return c.list(page, len(page), pg, nil), nil
}

var trackerTargets = []string{"facebookPageId", "websiteId", "shopId", "domain"}

var pageID = regexp.MustCompile(`^[0-9]{5,20}$`)

// checkCreateTracker requires exactly one target in the body.
func checkCreateTracker(v values) []validationError {
	n := 0
	for _, t := range trackerTargets {
		if v.has(t) {
			n++
		}
	}
	if n != 1 {
		return []validationError{{Field: "body", Location: "body",
			Expected: []string{"exactly one of facebookPageId, websiteId, shopId, domain must be set"}}}
	}
	if id := v.str("facebookPageId"); id != "" && !pageID.MatchString(id) {
		return []validationError{{Field: "body.facebookPageId", Location: "body",
			Expected: []string{"facebookPageId must be a numeric Facebook page id"}}}
	}
	return nil
}

// normalizeDomain reduces a URL or host to a bare lower-case domain.
func normalizeDomain(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	s = strings.TrimPrefix(s, "www.")
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	return s
}

func handleCreateTracker(c *call) (reply, *apiError) {
	v := c.v
	d := c.s.data()
	var adv *advertiser
	var sh *shop
	switch {
	case v.has("facebookPageId"):
		if adv = d.advByID[v.str("facebookPageId")]; adv == nil {
			return reply{}, notFound("No Facebook page %q is known. Find page ids with GET /v1/lookup.", v.str("facebookPageId"))
		}
	case v.has("domain"):
		if sh = d.shopByDomain[normalizeDomain(v.str("domain"))]; sh == nil {
			return reply{}, notFound("No shop with domain %q is known. Find shops with GET /v1/lookup.", v.str("domain"))
		}
	default:
		id := v.str("shopId")
		if id == "" {
			id = v.str("websiteId")
		}
		if sh = d.shopByID[id]; sh == nil {
			return reply{}, notFound("No shop with id %q. Find shop ids with GET /v1/lookup or GET /v1/shops.", id)
		}
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensureTrackers(c.ws)
	var fold *folder
	if id := v.str("folderId"); id != "" {
		for i := range c.ws.folders {
			if c.ws.folders[i].ID == id {
				fold = &c.ws.folders[i]
			}
		}
		if fold == nil {
			return reply{}, notFound("No brandtracker folder with id %q in this workspace.", id)
		}
	}
	for _, b := range c.ws.trackers {
		if b.adv != adv || b.shop != sh {
			continue
		}
		if b.active {
			return reply{body: map[string]any{"data": b.row(), "created": false, "requestId": c.reqID}}, nil
		}
		b.active, b.folder = true, fold
		return reply{status: http.StatusCreated, body: map[string]any{"data": b.row(), "created": true, "requestId": c.reqID}}, nil
	}
	rng := rand.New(rand.NewPCG(uint64(s.seed), uint64(c.now.UnixNano())^uint64(len(c.ws.trackers))))
	b := &brandtracker{id: uuid(rng), workspaceLinkID: uuid(rng), adv: adv, shop: sh, folder: fold, createdAt: c.now, active: true}
	b.targetType = "facebookPage"
	if sh != nil {
		b.targetType = "website"
	}
	c.ws.trackers = append(c.ws.trackers, b)
	return reply{status: http.StatusCreated, body: map[string]any{"data": b.row(), "created": true, "requestId": c.reqID}}, nil
}

func trackerNotFound(id string) *apiError {
	return notFound("No active brandtracker with id %q in this workspace. List them with GET /v1/brandtrackers.", id)
}

func handleGetTracker(c *call) (reply, *apiError) {
	id := c.path["brandtrackerId"]
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.s.ensureTrackers(c.ws)
	b := findTracker(c.ws, id)
	if b == nil {
		return reply{}, trackerNotFound(id)
	}
	return c.item(b.row()), nil
}

func handleDeleteTracker(c *call) (reply, *apiError) {
	id := c.path["brandtrackerId"]
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.s.ensureTrackers(c.ws)
	b := findTracker(c.ws, id)
	if b == nil {
		return reply{}, trackerNotFound(id)
	}
	b.active = false
	return reply{body: map[string]any{"data": map[string]any{
		"id": b.id, "workspaceLinkId": b.workspaceLinkID, "name": b.name(), "active": false, "deactivatedAt": iso(c.now),
	}, "requestId": c.reqID}}, nil
}

func handleListTrackerAds(c *call) (reply, *apiError) {
	id := c.path["brandtrackerId"]
	c.s.mu.Lock()
	c.s.ensureTrackers(c.ws)
	b := findTracker(c.ws, id)
	var advs []*advertiser
	if b != nil {
		advs = b.advertisers()
	}
	c.s.mu.Unlock()
	if b == nil {
		return reply{}, trackerNotFound(id)
	}
	var src []*ad
	for _, a := range advs {
		src = append(src, a.ads...)
	}
	v := c.v
	f := adFilter{
		terms:  lowerTerms(v.strs("keywords")...),
		all:    v.str("keywordMode") == "all",
		status: v.str("status"),
		media:  v.str("mediaType"),
	}
	ads := selectAds(src, f, v.str("sortBy"), v.str("order") == "asc")
	page, pg := byPage(ads, v.int("page"), v.int("limit"))
	return c.list(summaries(page, 9), len(page), pg, nil), nil
}

package sandbox

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
)

// The analytics of one tracked brand, and of all of them (workspace).

func init() {
	handle(map[string]handler{
		"listBrandtrackerSnapshots":           handleSnapshots,
		"listBrandtrackerAds":                 handleTrackerAds,
		"listBrandtrackerPartnershipAds":      handlePartnershipAds,
		"countBrandtrackerPartnershipAds":     handlePartnershipCount,
		"listBrandtrackerHooks":               groupHandler(groupHook),
		"listBrandtrackerTranscripts":         handleTranscripts,
		"listBrandtrackerHeadlines":           groupHandler(groupHeadline),
		"listBrandtrackerAdCopies":            groupHandler(groupAdCopy),
		"listBrandtrackerLandingPages":        groupHandler(groupLandingPage),
		"listBrandtrackerLandingPagesSimple":  groupHandler(groupLandingPageSimple),
		"listBrandtrackerCreatives":           handleCreatives,
		"listBrandtrackerPartners":            handlePartners,
		"getBrandtrackerMediaMix":             handleMediaMix,
		"getBrandtrackerDemography":           handleDemography,
		"listBrandtrackerTopAds":              handleTopAds,
		"listBrandtrackerAdRank":              handleRankedAds,
		"listBrandtrackerScalingAds":          handleRankedAds,
		"getBrandtrackerAdCopyEvolution":      evolutionHandler(func(x *ad) string { return x.sum.Content.Body }),
		"getBrandtrackerHeadlineEvolution":    evolutionHandler(func(x *ad) string { return x.sum.Content.Title }),
		"getBrandtrackerLandingPageEvolution": evolutionHandler(func(x *ad) string { return x.sum.Content.LandingPageURL }),
		"getBrandtrackerTimeSeries":           handleTimeSeries,
		"listBrandtrackerTimeline":            handleTimeline,
		"getBrandtrackerTimelineMetadata":     handleTimelineMetadata,
		"listBrandtrackerTesting":             handleTesting,
		"getBrandtrackerOverview":             handleOverview,
		"listWorkspaceTopAds":                 handleWorkspaceTopAds,
		"listWorkspaceHooks":                  workspaceGroupHandler(groupHook),
		"listWorkspaceAdCopies":               workspaceGroupHandler(groupAdCopy),
		"listWorkspaceLandingPages":           workspaceGroupHandler(groupLandingPage),
		"listWorkspaceScalingAds":             handleWorkspaceScalingAds,
		"listWorkspaceMediaMix":               handleWorkspaceMediaMix,
	})
}

// window returns the end of the analysed window (the snapshot date's end,
// or asOf) and its length, or a validation error for a snapshotDate past
// the latest ready date.
func (c *call) window() (end time.Time, span time.Duration, e *apiError) {
	d := c.data()
	end = d.asOf
	if s := c.v.str("snapshotDate"); s != "" && s != "latest" && !c.ignored("snapshotDate") {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return end, 0, invalid([]validationError{{Field: "query-string.snapshotDate", Location: "query-string",
				Expected: []string{"snapshotDate must be a valid date (YYYY-MM-DD) or latest"}}})
		}
		if !t.Before(d.asOf) {
			return end, 0, invalid([]validationError{{Field: "query-string.snapshotDate", Location: "query-string",
				Expected: []string{fmt.Sprintf("snapshotDate must not be after the latest ready date %s (GET /v1/system/freshness)", d.asOf.AddDate(0, 0, -1).Format(time.DateOnly))}}})
		}
		end = t.AddDate(0, 0, 1)
	}
	span = windows[c.v.str("timePeriod")]
	return end, span, nil
}

// ignored reports whether the operation accepts name only to ignore it.
func (c *call) ignored(name string) bool {
	p, ok := c.op.Param(name)
	return ok && p.Ignored
}

// inWindow keeps the ads that ran in the window: live (timePeriod=live)
// means active now; otherwise seen in the span before end and created
// before end. euOnly keeps EU ads.
func (c *call) inWindow(ads []*ad) ([]*ad, *apiError) {
	end, span, e := c.window()
	if e != nil {
		return nil, e
	}
	eu, _ := c.v.boolean("euOnly")
	live := c.v.str("timePeriod") == "live"
	var out []*ad
	for _, x := range ads {
		if eu && !x.sum.Flags.IsEuAd || x.createdAt.After(end) {
			continue
		}
		if live && x.sum.Status != "active" {
			continue
		}
		if span > 0 && lastSeen(x).Before(end.Add(-span)) {
			continue
		}
		out = append(out, x)
	}
	return out, nil
}

// lastSeen parses an ad's lastSeenAt.
func lastSeen(x *ad) time.Time {
	t, _ := time.Parse("2006-01-02T15:04:05.000Z", string(x.sum.LastSeenAt))
	return t
}

// trackerAds returns the ads of the call's brandtracker in the window.
func (c *call) trackerAds() (*brandtracker, []*ad, *apiError) {
	b, e := c.tracker()
	if e != nil {
		return nil, nil, e
	}
	ads, e := c.inWindow(b.ads(c.data()))
	return b, ads, e
}

func sortNewest(ads []*ad) {
	slices.SortStableFunc(ads, func(p, q *ad) int { return q.createdAt.Compare(p.createdAt) })
}

func handleSnapshots(c *call) (result, *apiError) {
	b, e := c.tracker()
	if e != nil {
		return result{}, e
	}
	d := c.data()
	ads := b.ads(d)
	c.s.mu.Lock()
	added := b.createdAt
	c.s.mu.Unlock()
	last := d.asOf.AddDate(0, 0, -1)
	first := added.Truncate(24 * time.Hour)
	if first.After(last) {
		first = last
	}
	n := int(last.Sub(first).Hours()/24) + 1
	snaps := make([]apispec.Snapshot, n)
	for i := range snaps {
		dayEnd := last.AddDate(0, 0, 1-i)
		var s apispec.Snapshot
		s.Date = day(dayEnd.AddDate(0, 0, -1))
		for _, x := range ads {
			if x.createdAt.After(dayEnd) {
				continue
			}
			s.TotalAds++
			if !lastSeen(x).Before(dayEnd.Add(-24 * time.Hour)) {
				s.ActiveAds++
				s.Reach += x.sum.Metrics.Reach / int64(max(1, x.sum.DaysRunning))
			}
			if !x.createdAt.Before(dayEnd.Add(-24 * time.Hour)) {
				s.NewAds++
			}
		}
		snaps[i] = s
	}
	if c.v.str("order") == "asc" {
		slices.Reverse(snaps)
	}
	return result{rows: rowsOf(snaps)}, nil
}

func handleTrackerAds(c *call) (result, *apiError) {
	b, e := c.tracker()
	if e != nil {
		return result{}, e
	}
	if _, _, e := c.window(); e != nil {
		return result{}, e
	}
	f := adsFilter(c.v)
	ads := selectAds(b.ads(c.data()), f, c.v.str("sortBy"), c.v.str("order") == "asc")
	return result{rows: summaries(ads, 9)}, nil
}

func partnerRef(a *advertiser) apispec.PartnerRef {
	return apispec.PartnerRef{ID: a.id, Name: a.name, FacebookPageID: a.id}
}

func handlePartnershipAds(c *call) (result, *apiError) {
	_, ads, e := c.trackerAds()
	if e != nil {
		return result{}, e
	}
	ads = slices.DeleteFunc(ads, func(x *ad) bool { return x.partner == nil })
	ads = selectAds(ads, adFilter{}, c.v.str("sortBy"), c.v.str("order") == "asc")
	return result{rows: mapRows(ads, func(x *ad) apispec.PartnershipAd {
		return apispec.PartnershipAd{AdSummary: x.sum, Partner: partnerRef(x.partner)}
	})}, nil
}

func handlePartnershipCount(c *call) (result, *apiError) {
	_, ads, e := c.trackerAds()
	if e != nil {
		return result{}, e
	}
	var out apispec.PartnershipCount
	partners := map[*advertiser]bool{}
	for _, x := range ads {
		if x.partner == nil {
			continue
		}
		out.Count++
		if x.sum.Status == "active" {
			out.ActiveCount++
		}
		partners[x.partner] = true
	}
	out.PartnersCount = int64(len(partners))
	return result{item: out}, nil
}

// group is ads sharing a key (a hook, headline, copy or landing page).
type group struct {
	key     string
	example *ad
	m       apispec.GroupMetrics
	first   time.Time
	last    time.Time
}

// groupBy groups ads by key, in first-seen order.
func groupBy(ads []*ad, key func(*ad) string) []*group {
	byKey := map[string]*group{}
	var out []*group
	for _, x := range ads {
		k := key(x)
		g := byKey[k]
		if g == nil {
			g = &group{key: k, example: x, first: x.createdAt, last: lastSeen(x)}
			byKey[k] = g
			out = append(out, g)
		}
		g.m.AdsCount++
		if x.sum.Status == "active" {
			g.m.ActiveAdsCount++
		}
		g.m.Reach += x.sum.Metrics.Reach
		if x.createdAt.Before(g.first) {
			g.first = x.createdAt
		}
		if ls := lastSeen(x); ls.After(g.last) {
			g.last = ls
		}
	}
	for _, g := range out {
		g.m.FirstSeenAt, g.m.LastSeenAt = dt(g.first), dt(g.last)
	}
	return out
}

// sortGroups sorts by adsCount, reach or lastSeenAt.
func sortGroups(gs []*group, sortBy string, asc bool) {
	key := func(g *group) int64 { return g.m.AdsCount }
	switch sortBy {
	case "reach":
		key = func(g *group) int64 { return g.m.Reach }
	case "lastSeenAt":
		key = func(g *group) int64 { return g.last.Unix() }
	}
	sortRows(gs, asc, key, func(g *group) string { return g.key })
}

// grouping is one kind of group: its key and its row.
type grouping struct {
	videoOnly bool // only video ads have one (hooks)
	key       func(*ad) string
	row       func(*group) any
	ws        func(apispec.BrandtrackerRef, *group) any
}

var (
	groupHook = grouping{
		videoOnly: true,
		key:       func(x *ad) string { return x.hook },
		row:       func(g *group) any { return apispec.Hook{Hook: g.key, ExampleAdID: g.example.sum.ID, Metrics: g.m} },
		ws: func(b apispec.BrandtrackerRef, g *group) any {
			return apispec.WorkspaceHook{Brandtracker: b, Hook: apispec.TextRef{Text: g.key}, Metrics: g.m}
		},
	}
	groupHeadline = grouping{
		key: func(x *ad) string { return x.sum.Content.Title },
		row: func(g *group) any {
			return apispec.Headline{Headline: g.key, ExampleAdID: g.example.sum.ID, Metrics: g.m}
		},
	}
	groupAdCopy = grouping{
		key: func(x *ad) string { return x.sum.Content.Body },
		row: func(g *group) any { return apispec.AdCopy{AdCopy: g.key, ExampleAdID: g.example.sum.ID, Metrics: g.m} },
		ws: func(b apispec.BrandtrackerRef, g *group) any {
			return apispec.WorkspaceAdCopy{Brandtracker: b, AdCopy: apispec.TextRef{Text: g.key}, Metrics: g.m}
		},
	}
	groupLandingPage = grouping{
		key: func(x *ad) string { return x.sum.Content.LandingPageURL },
		row: func(g *group) any {
			return apispec.LandingPage{LandingPageURL: g.key, Domain: g.example.sum.Content.LandingPageDomain,
				ScreenshotURL: screenshotURL(g.key), Metrics: g.m}
		},
		ws: func(b apispec.BrandtrackerRef, g *group) any {
			return apispec.WorkspaceLandingPage{Brandtracker: b,
				LandingPage: apispec.URLRef{URL: g.key, Domain: g.example.sum.Content.LandingPageDomain}, Metrics: g.m}
		},
	}
	groupLandingPageSimple = grouping{
		key: func(x *ad) string { return x.sum.Content.LandingPageURL },
		row: func(g *group) any { return apispec.LandingPageSimple{LandingPageURL: g.key, AdsCount: g.m.AdsCount} },
	}
)

// filter keeps the ads the grouping applies to.
func (gr grouping) filter(ads []*ad) []*ad {
	if !gr.videoOnly {
		return ads
	}
	return slices.DeleteFunc(slices.Clone(ads), func(x *ad) bool { return x.sum.Media.Type != "video" })
}

func groupHandler(gr grouping) handler {
	return func(c *call) (result, *apiError) {
		_, ads, e := c.trackerAds()
		if e != nil {
			return result{}, e
		}
		gs := groupBy(gr.filter(ads), gr.key)
		sortGroups(gs, c.v.str("sortBy"), c.v.str("order") == "asc")
		return result{rows: mapRows(gs, gr.row)}, nil
	}
}

// sortAds sorts by reach, newest or daysRunning.
func sortAds(ads []*ad, sortBy string, asc bool) []*ad {
	return selectAds(ads, adFilter{}, sortBy, asc)
}

func handleTranscripts(c *call) (result, *apiError) {
	_, ads, e := c.trackerAds()
	if e != nil {
		return result{}, e
	}
	ads = slices.DeleteFunc(ads, func(x *ad) bool { return x.sum.Content.Transcript == nil })
	ads = sortAds(ads, c.v.str("sortBy"), c.v.str("order") == "asc")
	return result{rows: mapRows(ads, func(x *ad) apispec.Transcript {
		return apispec.Transcript{AdID: x.sum.ID, Language: x.sum.Content.Language, Transcript: *x.sum.Content.Transcript,
			Reach: x.sum.Metrics.Reach, DaysRunning: x.sum.DaysRunning, CreatedAt: x.sum.CreatedAt}
	})}, nil
}

func handleCreatives(c *call) (result, *apiError) {
	_, ads, e := c.trackerAds()
	if e != nil {
		return result{}, e
	}
	ads = sortAds(ads, c.v.str("sortBy"), c.v.str("order") == "asc")
	return result{rows: mapRows(ads, func(x *ad) apispec.Creative {
		mt := x.sum.Media.Type
		if mt == "unknown" {
			mt = "image"
		}
		return apispec.Creative{AdID: x.sum.ID, MediaType: mt, ThumbnailURL: x.sum.Media.ThumbnailURL, MediaURL: x.sum.Media.MediaURL,
			Status: x.sum.Status, Reach: x.sum.Metrics.Reach, DaysRunning: x.sum.DaysRunning, CreatedAt: x.sum.CreatedAt}
	})}, nil
}

func handlePartners(c *call) (result, *apiError) {
	_, ads, e := c.trackerAds()
	if e != nil {
		return result{}, e
	}
	ads = slices.DeleteFunc(slices.Clone(ads), func(x *ad) bool { return x.partner == nil })
	gs := groupBy(ads, func(x *ad) string { return x.partner.id })
	sortGroups(gs, c.v.str("sortBy"), c.v.str("order") == "asc")
	return result{rows: mapRows(gs, func(g *group) apispec.Partner {
		return apispec.Partner{Partner: partnerRef(g.example.partner), Metrics: g.m}
	})}, nil
}

var mediaTypes = []string{"image", "video", "carousel"}

func mediaMix(ads []*ad) []apispec.MediaMixRow {
	out := make([]apispec.MediaMixRow, len(mediaTypes))
	for i, mt := range mediaTypes {
		out[i].MediaType = mt
	}
	for _, x := range ads {
		i := slices.Index(mediaTypes, x.sum.Media.Type)
		if i < 0 {
			continue
		}
		out[i].AdsCount++
		if x.sum.Status == "active" {
			out[i].ActiveAdsCount++
		}
		out[i].Reach += x.sum.Metrics.Reach
	}
	for i := range out {
		if len(ads) > 0 {
			out[i].Share = math.Round(float64(out[i].AdsCount)/float64(len(ads))*1000) / 1000
		}
	}
	return out
}

func handleMediaMix(c *call) (result, *apiError) {
	_, ads, e := c.trackerAds()
	if e != nil {
		return result{}, e
	}
	return result{rows: rowsOf(mediaMix(ads))}, nil
}

var ageRanges = []struct {
	name   string
	lo, hi int
}{{"18-24", 18, 24}, {"25-34", 25, 34}, {"35-44", 35, 44}, {"45-54", 45, 54}, {"55-64", 55, 64}, {"65+", 65, 200}}

func handleDemography(c *call) (result, *apiError) {
	_, ads, e := c.trackerAds()
	if e != nil {
		return result{}, e
	}
	var weights [12]float64
	var total float64
	for _, x := range ads {
		a := x.sum.Audience
		for gi, g := range []string{"men", "women"} {
			if a.Gender != "all" && a.Gender != g {
				continue
			}
			for ai, r := range ageRanges {
				if a.AgeMax < r.lo || a.AgeMin > r.hi {
					continue
				}
				w := float64(x.sum.Metrics.Reach)
				weights[gi*len(ageRanges)+ai] += w
				total += w
			}
		}
	}
	out := make([]apispec.DemographyRow, 0, 12)
	for gi, g := range []string{"men", "women"} {
		for ai, r := range ageRanges {
			share := 0.0
			if total > 0 {
				share = math.Round(weights[gi*len(ageRanges)+ai]/total*1000) / 1000
			}
			out = append(out, apispec.DemographyRow{Gender: g, AgeRange: r.name, Share: share})
		}
	}
	return result{rows: rowsOf(out)}, nil
}

func topAd(rank int, x *ad) apispec.TopAd {
	return apispec.TopAd{Rank: rank, CurrentRank: x.sum.Rank.CurrentRank, RankDelta7d: rankDelta(x, "rankDelta7d"),
		RankDelta14d: rankDelta(x, "rankDelta14d"), RankDelta30d: rankDelta(x, "rankDelta30d"), Ad: x.sum}
}

// ranking returns the ads ranked by sortBy (currentRank by default).
func ranking(c *call, ads []*ad) []*ad {
	if eu, _ := c.v.boolean("euOnly"); eu {
		ads = slices.DeleteFunc(slices.Clone(ads), func(x *ad) bool { return !x.sum.Flags.IsEuAd })
	}
	ads = slices.DeleteFunc(slices.Clone(ads), func(x *ad) bool { return x.sum.Status != "active" })
	return selectAds(ads, adFilter{}, c.v.str("sortBy"), false)
}

func handleTopAds(c *call) (result, *apiError) {
	b, e := c.tracker()
	if e != nil {
		return result{}, e
	}
	ads := ranking(c, b.ads(c.data()))
	return result{rows: &rows{n: len(ads), at: func(i int) any { return topAd(i+1, ads[i]) }}}, nil
}

// scaling returns the active ads whose rank improved most over timeWindow.
func scaling(c *call, ads []*ad) []*ad {
	window := c.v.str("timeWindow")
	if eu, _ := c.v.boolean("euOnly"); eu {
		ads = slices.DeleteFunc(slices.Clone(ads), func(x *ad) bool { return !x.sum.Flags.IsEuAd })
	}
	ads = slices.DeleteFunc(slices.Clone(ads), func(x *ad) bool { return x.sum.Status != "active" })
	sortRows(ads, false, func(x *ad) int { return rankDelta(x, window) }, func(x *ad) string { return x.sum.ID })
	return ads
}

func handleRankedAds(c *call) (result, *apiError) {
	b, e := c.tracker()
	if e != nil {
		return result{}, e
	}
	window := c.v.str("timeWindow")
	ads := scaling(c, b.ads(c.data()))
	return result{rows: &rows{n: len(ads), at: func(i int) any {
		return apispec.RankedAd{Rank: i + 1, RankDelta: rankDelta(ads[i], window), TimeWindow: window, Trajectory: []apispec.RankPoint{}, Ad: ads[i].sum}
	}}}, nil
}

// dateRange is the window of a series answer: timePeriod days ending at
// the window's end (live counts as the last day).
func (c *call) dateRange() (apispec.DateRange, []time.Time, *apiError) {
	end, span, e := c.window()
	if e != nil {
		return apispec.DateRange{}, nil, e
	}
	days := max(1, int(span.Hours()/24))
	var ds []time.Time
	for i := days; i >= 1; i-- {
		ds = append(ds, end.AddDate(0, 0, -i))
	}
	return apispec.DateRange{From: day(ds[0]), To: day(ds[len(ds)-1])}, ds, nil
}

// activeOn reports whether x ran on the day starting at d.
func activeOn(x *ad, d time.Time) bool {
	return !x.createdAt.After(d.Add(24*time.Hour)) && !lastSeen(x).Before(d)
}

func evolutionHandler(key func(*ad) string) handler {
	return func(c *call) (result, *apiError) {
		_, ads, e := c.trackerAds()
		if e != nil {
			return result{}, e
		}
		dr, days, e := c.dateRange()
		if e != nil {
			return result{}, e
		}
		gs := groupBy(ads, key)
		if c.v.str("mode") == "exact" {
			want := c.v.str("value")
			gs = slices.DeleteFunc(gs, func(g *group) bool { return g.key != want })
		} else {
			sortGroups(gs, "adsCount", false)
			gs = gs[:min(len(gs), int(c.v.int("limit")))]
		}
		out := make([]apispec.EvolutionSeries, len(gs))
		for i, g := range gs {
			s := apispec.EvolutionSeries{Value: g.key, AdsCount: g.m.AdsCount, Points: []apispec.EvolutionPoint{}}
			for _, d := range days {
				p := apispec.EvolutionPoint{Date: day(d)}
				for _, x := range ads {
					if key(x) != g.key || !activeOn(x, d) {
						continue
					}
					p.AdsCount++
					if x.sum.Status == "active" {
						p.ActiveAds++
					}
				}
				s.Points = append(s.Points, p)
			}
			out[i] = s
		}
		return result{rows: rowsOf(out), extra: map[string]any{"dateRange": dr}}, nil
	}
}

func handleTimeSeries(c *call) (result, *apiError) {
	b, e := c.tracker()
	if e != nil {
		return result{}, e
	}
	ads, e := c.inWindow(b.ads(c.data()))
	if e != nil {
		return result{}, e
	}
	dr, days, e := c.dateRange()
	if e != nil {
		return result{}, e
	}
	var out []apispec.MetricSeries
	for _, m := range c.v.strs("metrics") {
		s := apispec.MetricSeries{Metric: m, Points: []apispec.MetricPoint{}}
		for _, d := range days {
			var v int64
			for _, x := range ads {
				switch {
				case m == "newAds" && !x.createdAt.Before(d) && x.createdAt.Before(d.Add(24*time.Hour)):
					v++
				case m == "activeAds" && activeOn(x, d):
					v++
				case (m == "reach" || m == "estimatedSpend") && activeOn(x, d):
					v += x.sum.Metrics.Reach / int64(max(1, x.sum.DaysRunning))
				}
			}
			if m == "estimatedSpend" {
				v = estimatedSpend(v, 9)
			}
			s.Points = append(s.Points, apispec.MetricPoint{Date: day(d), Value: v})
		}
		out = append(out, s)
	}
	return result{rows: rowsOf(out), extra: map[string]any{"dateRange": dr}}, nil
}

// timeline returns the brandtracker's events, newest first.
func timeline(b *brandtracker, d *dataset) []apispec.TimelineEvent {
	var out []apispec.TimelineEvent
	seenLanding := map[string]bool{}
	ads := slices.Clone(b.ads(d))
	slices.SortStableFunc(ads, func(p, q *ad) int { return p.createdAt.Compare(q.createdAt) })
	for _, x := range ads {
		id := x.sum.ID
		out = append(out, apispec.TimelineEvent{ID: "evt_" + strings.TrimPrefix(id, "facebook_") + "_l", Type: "ad_launched",
			OccurredAt: x.sum.CreatedAt, AdID: &id, Description: x.adv.name + " launched a " + x.sum.Media.Type + " ad: " + x.sum.Content.Title})
		if u := x.sum.Content.LandingPageURL; !seenLanding[u] {
			seenLanding[u] = true
			out = append(out, apispec.TimelineEvent{ID: "evt_" + strings.TrimPrefix(id, "facebook_") + "_p", Type: "landing_page_added",
				OccurredAt: x.sum.CreatedAt, AdID: &id, LandingPageURL: &u, Description: "New landing page " + u})
		}
		if x.sum.Flags.IsMediaChanged {
			out = append(out, apispec.TimelineEvent{ID: "evt_" + strings.TrimPrefix(id, "facebook_") + "_m", Type: "media_changed",
				OccurredAt: x.sum.FirstSeenAt, AdID: &id, Description: "The media of an ad changed"})
		}
		if x.sum.Status == "inactive" {
			out = append(out, apispec.TimelineEvent{ID: "evt_" + strings.TrimPrefix(id, "facebook_") + "_s", Type: "ad_stopped",
				OccurredAt: x.sum.LastSeenAt, AdID: &id, Description: x.adv.name + " stopped an ad after " + fmt.Sprint(x.sum.DaysRunning) + " days"})
		}
	}
	slices.SortStableFunc(out, func(p, q apispec.TimelineEvent) int { return cmp.Compare(q.OccurredAt, p.OccurredAt) })
	return out
}

func handleTimeline(c *call) (result, *apiError) {
	b, e := c.tracker()
	if e != nil {
		return result{}, e
	}
	evs := timeline(b, c.data())
	types := c.v.strs("types")
	since, hasSince := c.v.time("since")
	evs = slices.DeleteFunc(evs, func(ev apispec.TimelineEvent) bool {
		t, _ := time.Parse("2006-01-02T15:04:05.000Z", string(ev.OccurredAt))
		return len(types) > 0 && !contains(types, ev.Type) || hasSince && t.Before(since)
	})
	if c.v.str("order") == "asc" {
		slices.Reverse(evs)
	}
	return result{rows: rowsOf(evs)}, nil
}

func handleTimelineMetadata(c *call) (result, *apiError) {
	b, e := c.tracker()
	if e != nil {
		return result{}, e
	}
	evs := timeline(b, c.data())
	out := apispec.TimelineMetadata{TotalEvents: int64(len(evs)), EventCounts: map[string]int64{}}
	for _, ev := range evs {
		out.EventCounts[ev.Type]++
	}
	if len(evs) > 0 {
		first, last := evs[len(evs)-1].OccurredAt, evs[0].OccurredAt
		out.FirstEventAt, out.LastEventAt = &first, &last
	}
	return result{item: out}, nil
}

// maxBatch bounds a testing batch (and so what a page of it costs).
const maxBatch = 20

func handleTesting(c *call) (result, *apiError) {
	_, ads, e := c.trackerAds()
	if e != nil {
		return result{}, e
	}
	byDay := map[string][]*ad{}
	var daysList []string
	for _, x := range ads {
		k := x.createdAt.UTC().Format(time.DateOnly)
		if byDay[k] == nil {
			daysList = append(daysList, k)
		}
		byDay[k] = append(byDay[k], x)
	}
	// A creative test is two or more ads launched the same day.
	daysList = slices.DeleteFunc(daysList, func(k string) bool { return len(byDay[k]) < 2 })
	slices.Sort(daysList)
	slices.Reverse(daysList)
	pageNo := c.v.int("page")
	total := int64(len(daysList))
	pg := apispec.PagePagination{Page: pageNo, Limit: maxBatch, Total: total, TotalPages: total}
	meta := apispec.TestingMeta{}
	if pageNo > total {
		return result{rows: &rows{}, pagination: pg, meta: meta}, nil
	}
	k := daysList[pageNo-1]
	batch := byDay[k]
	sortRows(batch, false, func(x *ad) int64 { return x.sum.Metrics.Reach }, func(x *ad) string { return x.sum.ID })
	batch = batch[:min(len(batch), maxBatch)]
	date := apispec.Date(k)
	meta = apispec.TestingMeta{BatchStartDate: &date, AdsInBatch: int64(len(byDay[k]))}
	return result{rows: summaries(batch, 9), pagination: pg, meta: meta}, nil
}

func handleOverview(c *call) (result, *apiError) {
	b, ads, e := c.trackerAds()
	if e != nil {
		return result{}, e
	}
	d := c.data()
	c.s.mu.Lock()
	row := b.row(d)
	c.s.mu.Unlock()
	out := apispec.Overview{Brandtracker: row, LandingPages: []apispec.LandingPage{}, TopAds: []apispec.TopAd{}, AdsPreview: []apispec.AdSummary{}}
	out.Advertising = apispec.OverviewAdvertising{ActiveAds: row.Advertising.ActiveAds, NewAdsLast7Days: row.Advertising.NewAdsLast7Days,
		NewAdsLast30Days: row.Advertising.NewAdsLast30Days, AdsInWindow: int64(len(ads))}
	for _, x := range ads {
		out.Advertising.Reach += x.sum.Metrics.Reach
	}
	gs := groupBy(ads, groupLandingPage.key)
	sortGroups(gs, "adsCount", false)
	for _, g := range gs[:min(len(gs), int(c.v.int("landingPagesLimit")))] {
		out.LandingPages = append(out.LandingPages, groupLandingPage.row(g).(apispec.LandingPage))
	}
	top := ranking(c, b.ads(d))
	for i, x := range top[:min(len(top), int(c.v.int("topAdsLimit")))] {
		out.TopAds = append(out.TopAds, topAd(i+1, x))
	}
	newest := slices.Clone(ads)
	sortNewest(newest)
	for _, x := range newest[:min(len(newest), int(c.v.int("adsPreviewLimit")))] {
		out.AdsPreview = append(out.AdsPreview, x.sum)
	}
	return result{item: out}, nil
}

// workspaceTrackers returns the active brandtrackers the workspace
// analytics cover (brandtrackerIds and folderIds narrow them).
func (c *call) workspaceTrackers() []*brandtracker {
	d := c.data()
	ids, folders := c.v.strs("brandtrackerIds"), c.v.ints("folderIds")
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.s.ensureTrackers(c.ws, d)
	var out []*brandtracker
	for _, b := range c.ws.trackers {
		if !b.active || len(ids) > 0 && !contains(ids, b.id) || len(folders) > 0 && (b.folder == nil || !slices.Contains(folders, b.folder.id)) {
			continue
		}
		out = append(out, b)
	}
	return out
}

// pair is a brandtracker and one of its ads.
type pair struct {
	b *brandtracker
	x *ad
}

func handleWorkspaceTopAds(c *call) (result, *apiError) {
	d := c.data()
	var all []pair
	for _, b := range c.workspaceTrackers() {
		for _, x := range ranking(c, b.ads(d)) {
			all = append(all, pair{b, x})
		}
	}
	sorted := make([]*ad, len(all))
	owner := map[*ad]*brandtracker{}
	for i, p := range all {
		sorted[i] = p.x
		owner[p.x] = p.b
	}
	sorted = selectAds(sorted, adFilter{}, c.v.str("sortBy"), false)
	return result{rows: &rows{n: len(sorted), at: func(i int) any {
		x := sorted[i]
		t := topAd(i+1, x)
		return apispec.WorkspaceTopAd{Brandtracker: owner[x].ref(d), Ad: x.sum, Metrics: apispec.RankMetrics{
			Rank: t.Rank, CurrentRank: t.CurrentRank, RankDelta7d: t.RankDelta7d, RankDelta14d: t.RankDelta14d,
			RankDelta30d: t.RankDelta30d, Reach: x.sum.Metrics.Reach}}
	}}}, nil
}

func workspaceGroupHandler(gr grouping) handler {
	return func(c *call) (result, *apiError) {
		d := c.data()
		type row struct {
			b *brandtracker
			g *group
		}
		var out []row
		for _, b := range c.workspaceTrackers() {
			ads, e := c.inWindow(b.ads(d))
			if e != nil {
				return result{}, e
			}
			for _, g := range groupBy(gr.filter(ads), gr.key) {
				out = append(out, row{b, g})
			}
		}
		sortRows(out, false, func(r row) int64 { return r.g.m.AdsCount }, func(r row) string { return r.b.id + r.g.key })
		return result{rows: mapRows(out, func(r row) any { return gr.ws(r.b.ref(d), r.g) })}, nil
	}
}

func handleWorkspaceScalingAds(c *call) (result, *apiError) {
	d := c.data()
	window := c.v.str("timeWindow")
	var all []pair
	for _, b := range c.workspaceTrackers() {
		for _, x := range scaling(c, b.ads(d)) {
			all = append(all, pair{b, x})
		}
	}
	sortRows(all, false, func(p pair) int { return rankDelta(p.x, window) }, func(p pair) string { return p.x.sum.ID })
	return result{rows: &rows{n: len(all), at: func(i int) any {
		p := all[i]
		return apispec.WorkspaceScalingAd{Brandtracker: p.b.ref(d), Ad: p.x.sum,
			Metrics: apispec.ScalingMetrics{Rank: i + 1, RankDelta: rankDelta(p.x, window), TimeWindow: window}}
	}}}, nil
}

func handleWorkspaceMediaMix(c *call) (result, *apiError) {
	d := c.data()
	var out []apispec.WorkspaceMediaMix
	for _, b := range c.workspaceTrackers() {
		ads, e := c.inWindow(b.ads(d))
		if e != nil {
			return result{}, e
		}
		mix := mediaMix(ads)
		row := apispec.WorkspaceMediaMix{Brandtracker: b.ref(d),
			MediaMix: apispec.MediaShares{Image: mix[0].Share, Video: mix[1].Share, Carousel: mix[2].Share}}
		for _, m := range mix {
			row.Metrics.AdsCount += m.AdsCount
			row.Metrics.ActiveAdsCount += m.ActiveAdsCount
		}
		out = append(out, row)
	}
	return result{rows: rowsOf(out)}, nil
}

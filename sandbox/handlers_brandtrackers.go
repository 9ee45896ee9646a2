package sandbox

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
)

func init() {
	handle(map[string]handler{
		"listBrandtrackers":                   handleListTrackers,
		"createBrandtracker":                  handleCreateTracker,
		"getBrandtracker":                     handleGetTracker,
		"deleteBrandtracker":                  handleDeleteTracker,
		"createBrandtrackerFolder":            handleCreateFolder,
		"listBrandtrackerFolders":             handleListFolders,
		"listWorkspaceFolders":                handleListFolders,
		"updateBrandtrackerFolder":            handleUpdateFolder,
		"deleteBrandtrackerFolder":            handleDeleteFolder,
		"listBrandtrackerFolderBrandtrackers": handleFolderTrackers,
		"moveBrandtrackerWorkspaceLinks":      handleMoveLinks,
		"deleteBrandtrackerWorkspaceLinks":    handleDeleteLinks,
	})
}

// Brandtracker quota: create/delete operations per billing period.
const trackerQuota = 500

// takeQuota consumes n create/delete quota units of ws, or answers 403
// when the period's quota does not cover them; s.mu must be held.
func (s *Server) takeQuota(ws *workspace, n int64) *apiError {
	if p := periodStart(s.now()); p.After(ws.quotaPeriod) {
		ws.quotaPeriod, ws.quotaUsed = p, 0
	}
	if ws.quotaUsed+n > trackerQuota {
		return newError(http.StatusForbidden, codeForbidden,
			"The workspace's brandtracker create/delete quota (%d operations per billing period) is exhausted; nothing was changed. It renews at the next billing period.", trackerQuota)
	}
	ws.quotaUsed += n
	return nil
}

// trackers returns the workspace's active brandtrackers that pass the
// list filters, in workspace order, or sorted by sortBy.
func (c *call) trackers(folderFilter func(*brandtracker) bool) []apispec.Brandtracker {
	v := c.v
	d := c.data()
	name := strings.ToLower(v.str("name"))
	since, hasSince := v.time("hasNewAdsSince")
	folderIDs := v.ints("folderIds")
	folderNames := lowerTerms(v.strs("folderNames")...)
	s := c.s
	s.mu.Lock()
	s.ensureTrackers(c.ws, d)
	var out []apispec.Brandtracker
	for _, b := range c.ws.trackers {
		switch {
		case !b.active,
			folderFilter != nil && !folderFilter(b),
			name != "" && !strings.Contains(strings.ToLower(b.name(d)), name),
			hasSince && b.latestAd(d).Before(since),
			len(folderIDs) > 0 && (b.folder == nil || !slices.Contains(folderIDs, b.folder.id)),
			len(folderNames) > 0 && (b.folder == nil || matchTerms(folderNames, false, strings.ToLower(b.folder.name)) == 0):
			continue
		}
		out = append(out, b.row(d))
	}
	s.mu.Unlock()
	id := func(r apispec.Brandtracker) string { return r.ID }
	switch v.str("sortBy") {
	case "":
		// The workspace's order: as added.
	case "name":
		sortRows(out, true, func(r apispec.Brandtracker) string { return strings.ToLower(r.Name) }, id)
	case "createdAt":
		sortRows(out, false, func(r apispec.Brandtracker) string { return string(r.CreatedAt) }, id)
	default:
		var key func(r apispec.Brandtracker) int64
		switch v.str("sortBy") {
		case "newAdsLastDay":
			key = func(r apispec.Brandtracker) int64 { return r.Advertising.NewAdsLastDay }
		case "newAdsLast7Days":
			key = func(r apispec.Brandtracker) int64 { return r.Advertising.NewAdsLast7Days }
		case "newAdsLast30Days":
			key = func(r apispec.Brandtracker) int64 { return r.Advertising.NewAdsLast30Days }
		case "activeAds":
			key = func(r apispec.Brandtracker) int64 { return r.Advertising.ActiveAds }
		default: // totalTraffic
			key = func(r apispec.Brandtracker) int64 { return r.TotalTraffic }
		}
		sortRows(out, false, key, id)
	}
	return out
}

func handleListTrackers(c *call) (result, *apiError) {
	return result{rows: rowsOf(c.trackers(nil))}, nil
}

var pageID = regexp.MustCompile(`^[0-9]{5,20}$`)

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

// folderByID returns ws's folder with id; s.mu must be held.
func folderByID(ws *workspace, id int64) *folder {
	for _, f := range ws.folders {
		if f.id == id {
			return f
		}
	}
	return nil
}

func handleCreateTracker(c *call) (result, *apiError) {
	v := c.v
	d := c.data()
	var advID, shopID string
	switch {
	case v.has("facebookPageId"):
		id := v.str("facebookPageId")
		if !pageID.MatchString(id) {
			return result{}, invalid([]validationError{{Field: "body.facebookPageId", Location: "body",
				Expected: []string{"facebookPageId must be a numeric Facebook page id"}}})
		}
		if d.advByID[id] == nil {
			return result{}, notFound("No Facebook page %q is known. Find page ids with GET /v1/lookup.", id)
		}
		advID = id
	case v.has("domain"):
		sh := d.shopByDomain[normalizeDomain(v.str("domain"))]
		if sh == nil {
			return result{}, notFound("No shop with domain %q is known. Find shops with GET /v1/lookup.", v.str("domain"))
		}
		shopID = sh.id
	default:
		id := v.str("shopId")
		if id == "" {
			id = v.str("websiteId")
		}
		if d.shopByID[id] == nil {
			return result{}, notFound("No shop with id %q. Find shop ids with GET /v1/lookup or GET /v1/shops.", id)
		}
		shopID = id
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensureTrackers(c.ws, d)
	var fold *folder
	if id, ok := v.intOK("folderId"); ok {
		if fold = folderByID(c.ws, id); fold == nil {
			return result{}, notFound("No brandtracker folder with id %d in this workspace. List them with GET /v1/brandtrackers/folders.", id)
		}
	}
	yes, no := true, false
	for _, b := range c.ws.trackers {
		if b.advID != advID || b.shopID != shopID {
			continue
		}
		if b.active {
			return result{item: b.row(d), created: &no}, nil
		}
		if e := s.takeQuota(c.ws, 1); e != nil {
			return result{}, e
		}
		b.active, b.folder, b.createdAt = true, fold, c.now
		return result{item: b.row(d), created: &yes}, nil
	}
	if e := s.takeQuota(c.ws, 1); e != nil {
		return result{}, e
	}
	c.ws.linkSeq++
	b := &brandtracker{id: uuid(subRNG(uint64(s.seed), c.ws.id+":tracker:"+advID+shopID)), workspaceLinkID: c.ws.linkSeq,
		advID: advID, shopID: shopID, folder: fold, createdAt: c.now, active: true}
	c.ws.trackers = append(c.ws.trackers, b)
	return result{item: b.row(d), created: &yes}, nil
}

func trackerNotFound(id string) *apiError {
	return notFound("No active brandtracker with id %q in this workspace. List them with GET /v1/brandtrackers.", id)
}

// tracker returns the call's brandtracker (path brandtrackerId), or a 404.
func (c *call) tracker() (*brandtracker, *apiError) {
	id := c.path["brandtrackerId"]
	d := c.data()
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.s.ensureTrackers(c.ws, d)
	b := findTracker(c.ws, id)
	if b == nil {
		return nil, trackerNotFound(id)
	}
	return b, nil
}

func handleGetTracker(c *call) (result, *apiError) {
	b, e := c.tracker()
	if e != nil {
		return result{}, e
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return result{item: b.row(c.data())}, nil
}

func handleDeleteTracker(c *call) (result, *apiError) {
	b, e := c.tracker()
	if e != nil {
		return result{}, e
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if e := c.s.takeQuota(c.ws, 1); e != nil {
		return result{}, e
	}
	b.active = false
	return result{item: apispec.DeletedBrandtracker{
		ID: b.id, WorkspaceLinkID: b.workspaceLinkID, Name: b.name(c.data()), Active: false, DeactivatedAt: dt(c.now),
	}}, nil
}

// folderRow is a folder as answered; s.mu must be held.
func folderRow(ws *workspace, f *folder) apispec.BrandtrackerFolder {
	var n int64
	for _, b := range ws.trackers {
		if b.active && b.folder == f {
			n++
		}
	}
	return apispec.BrandtrackerFolder{ID: f.id, Name: f.name, Rank: slices.Index(ws.folders, f) + 1, BrandtrackerCount: n, CreatedAt: dt(f.createdAt)}
}

// maxFolders bounds a workspace's brandtracker folders (and so what
// listing them can cost).
const maxFolders = 100

func handleCreateFolder(c *call) (result, *apiError) {
	d := c.data()
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensureTrackers(c.ws, d)
	if len(c.ws.folders) >= maxFolders {
		return result{}, newError(http.StatusForbidden, codeForbidden, "A workspace holds at most %d brandtracker folders; delete one first.", maxFolders)
	}
	c.ws.folderSeq++
	f := &folder{id: c.ws.folderSeq, name: c.v.str("name"), createdAt: c.now}
	c.ws.folders = append(c.ws.folders, f)
	return result{item: folderRow(c.ws, f)}, nil
}

func handleListFolders(c *call) (result, *apiError) {
	d := c.data()
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensureTrackers(c.ws, d)
	out := make([]apispec.BrandtrackerFolder, len(c.ws.folders))
	for i, f := range c.ws.folders {
		out[i] = folderRow(c.ws, f)
	}
	return result{rows: rowsOf(out)}, nil
}

// folder returns the call's folder (path folderId); s.mu must be held.
func (c *call) folder() (*folder, *apiError) {
	c.s.ensureTrackers(c.ws, c.data())
	id, err := strconv.ParseInt(c.path["folderId"], 10, 64)
	f := folderByID(c.ws, id)
	if err != nil || f == nil {
		return nil, notFound("No brandtracker folder with id %q in this workspace. List them with GET /v1/brandtrackers/folders.", c.path["folderId"])
	}
	return f, nil
}

func handleUpdateFolder(c *call) (result, *apiError) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	f, e := c.folder()
	if e != nil {
		return result{}, e
	}
	if n := c.v.str("name"); n != "" {
		f.name = n
	}
	if r, ok := c.v.intOK("rank"); ok {
		fs := slices.DeleteFunc(slices.Clone(c.ws.folders), func(x *folder) bool { return x == f })
		i := min(int(r)-1, len(fs))
		c.ws.folders = slices.Insert(fs, i, f)
	}
	return result{item: folderRow(c.ws, f)}, nil
}

func handleDeleteFolder(c *call) (result, *apiError) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	f, e := c.folder()
	if e != nil {
		return result{}, e
	}
	if e := c.s.takeQuota(c.ws, 1); e != nil {
		return result{}, e
	}
	out := apispec.DeletedBrandtrackerFolder{ID: f.id, Action: c.v.str("action"), DeletedAt: dt(c.now)}
	for _, b := range c.ws.trackers {
		if b.folder != f {
			continue
		}
		b.folder = nil
		if !b.active {
			continue
		}
		if out.Action == "delete-brandtrackers" {
			b.active = false
			out.DeletedBrandtrackers++
		} else {
			out.MovedBrandtrackers++
		}
	}
	c.ws.folders = slices.DeleteFunc(c.ws.folders, func(x *folder) bool { return x == f })
	return result{item: out}, nil
}

func handleFolderTrackers(c *call) (result, *apiError) {
	c.s.mu.Lock()
	f, e := c.folder()
	c.s.mu.Unlock()
	if e != nil {
		return result{}, e
	}
	return result{rows: rowsOf(c.trackers(func(b *brandtracker) bool { return b.folder == f }))}, nil
}

// links resolves the body's brandtrackerIds or workspaceLinkIds to the
// workspace's active brandtrackers; s.mu must be held.
func (c *call) links() (found []*brandtracker, missingIDs []string, missingLinks []int64) {
	c.s.ensureTrackers(c.ws, c.data())
	missingIDs, missingLinks = []string{}, []int64{}
	for _, id := range c.v.strs("brandtrackerIds") {
		if b := findTracker(c.ws, id); b != nil {
			found = append(found, b)
		} else {
			missingIDs = append(missingIDs, id)
		}
	}
	for _, id := range c.v.ints("workspaceLinkIds") {
		i := slices.IndexFunc(c.ws.trackers, func(b *brandtracker) bool { return b.active && b.workspaceLinkID == id })
		if i >= 0 {
			found = append(found, c.ws.trackers[i])
		} else {
			missingLinks = append(missingLinks, id)
		}
	}
	return found, missingIDs, missingLinks
}

func handleMoveLinks(c *call) (result, *apiError) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	found, mIDs, mLinks := c.links()
	var target *folder
	var targetID *int64
	if !c.v.isNull("folderId") {
		id := c.v.int("folderId")
		if target = folderByID(c.ws, id); target == nil {
			return result{}, notFound("No brandtracker folder with id %d in this workspace.", id)
		}
		targetID = &id
	}
	for _, b := range found {
		b.folder = target
	}
	return result{item: apispec.WorkspaceLinksMove{
		RequestedCount: int64(len(c.v.strs("brandtrackerIds")) + len(c.v.ints("workspaceLinkIds"))),
		AffectedCount:  int64(len(found)), FolderID: targetID,
		NotFoundBrandtrackerIDs: mIDs, NotFoundWorkspaceLinkIDs: mLinks,
	}}, nil
}

func handleDeleteLinks(c *call) (result, *apiError) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	found, mIDs, mLinks := c.links()
	if len(found) > 0 {
		if e := c.s.takeQuota(c.ws, 1); e != nil {
			return result{}, e
		}
	}
	for _, b := range found {
		b.active = false
	}
	return result{item: apispec.WorkspaceLinksDeletion{
		RequestedCount: int64(len(c.v.strs("brandtrackerIds")) + len(c.v.ints("workspaceLinkIds"))),
		AffectedCount:  int64(len(found)), NotFoundBrandtrackerIDs: mIDs, NotFoundWorkspaceLinkIDs: mLinks,
		DeactivatedAt: dt(c.now),
	}}, nil
}

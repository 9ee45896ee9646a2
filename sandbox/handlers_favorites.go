package sandbox

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
)

// Favorites: saved ads, shops and emails, in folders, per scope (the
// workspace's, or a delegated user's own).

func init() {
	for _, k := range []string{"Ad", "Shop", "Email"} {
		handle(map[string]handler{
			"addFavorite" + k:                      handleAddFavorite,
			"listFavorite" + k + "s":               handleListFavorites,
			"removeFavorite" + k:                   handleRemoveFavorite,
			"moveSavedFavorite" + k:                handleMoveSaved,
			"deleteSavedFavorite" + k:              handleDeleteSaved,
			"createFavorite" + k + "Folder":        handleCreateFavoriteFolder,
			"listFavorite" + k + "Folders":         handleListFavoriteFolders,
			"updateFavorite" + k + "Folder":        handleUpdateFavoriteFolder,
			"deleteFavorite" + k + "Folder":        handleDeleteFavoriteFolder,
			"setFavorite" + k + "FolderVisibility": handleFolderVisibility,
		})
	}
	handle(map[string]handler{
		"reorderFavoriteAdFolders":    handleReorderFolders,
		"reorderFavoriteEmailFolders": handleReorderFolders,
		"shareFavoriteAdFolder":       handleShareFolder,
	})
}

// favoriteScope holds one scope's favorites, by kind (ads, shops, emails).
type favoriteScope struct {
	kinds map[string]*favoriteList
}

// favoriteList is one kind of favorites of a scope.
type favoriteList struct {
	seq     int64
	items   []*favoriteItem   // in save order
	folders []*favoriteFolder // in rank order
}

type favoriteItem struct {
	id      string // saved-row id
	itemID  string // the ad, shop or email
	folder  *favoriteFolder
	savedAt time.Time
}

type favoriteFolder struct {
	id         string
	name       string
	parent     *favoriteFolder
	visibility string
	createdAt  time.Time
}

// maxFavoriteFolders bounds a scope's folders of one kind.
const maxFavoriteFolders = 100

// kind returns "ads", "shops" or "emails" from the operation's path.
func (c *call) kind() string { return strings.Split(c.op.Path, "/")[3] }

// favorites returns the call's list (scope and kind); s.mu must be held.
func (c *call) favorites() *favoriteList {
	key := "workspace"
	if c.v.str("scope") == "personal" {
		key = "personal:" + c.cred.user.ID
	}
	if c.ws.favorites == nil {
		c.ws.favorites = map[string]*favoriteScope{}
	}
	sc := c.ws.favorites[key]
	if sc == nil {
		sc = &favoriteScope{kinds: map[string]*favoriteList{}}
		c.ws.favorites[key] = sc
	}
	l := sc.kinds[c.kind()]
	if l == nil {
		l = &favoriteList{}
		sc.kinds[c.kind()] = l
	}
	return l
}

func (l *favoriteList) folder(id string) *favoriteFolder {
	for _, f := range l.folders {
		if f.id == id {
			return f
		}
	}
	return nil
}

func folderNotFound(id string) *apiError {
	return notFound("No favorites folder with id %q in this scope. List them with the folders endpoint.", id)
}

// newID returns the next saved-row id of the kind: a number for ads, a
// string for shops, a UUID for emails.
func (c *call) newID(l *favoriteList, what string) string {
	l.seq++
	switch {
	case what == "folder" || c.kind() == "emails":
		return uuid(subRNG(uint64(c.s.seed), c.ws.id+c.v.str("scope")+c.kind()+what+strconv.FormatInt(l.seq, 10)))
	case c.kind() == "shops":
		return "fav_" + strconv.FormatInt(1000+l.seq, 10)
	}
	return strconv.FormatInt(100+l.seq, 10)
}

func (c *call) itemParam() string {
	return map[string]string{"ads": "adId", "shops": "websiteId", "emails": "emailId"}[c.kind()]
}

// favoriteRow is a saved item as answered; s.mu must be held.
func (c *call) favoriteRow(it *favoriteItem) any {
	d := c.data()
	var folder *apispec.FavoriteFolderRef
	if it.folder != nil {
		folder = &apispec.FavoriteFolderRef{ID: it.folder.id, Name: it.folder.name, ParentID: parentID(it.folder)}
	}
	scope, saved := c.v.str("scope"), dt(it.savedAt)
	switch c.kind() {
	case "ads":
		n, _ := strconv.ParseInt(it.id, 10, 64)
		row := apispec.FavoriteAd{ID: n, Scope: scope, SavedAt: saved, Folder: folder}
		if x := d.adByID[it.itemID]; x != nil {
			s := x.sum
			row.Ad = &s
		}
		return row
	case "shops":
		row := apispec.FavoriteShop{ID: it.id, Scope: scope, SavedAt: saved, Folder: folder}
		if sh := d.shopByID[it.itemID]; sh != nil {
			s := sh.summary()
			row.Shop = &s
		}
		return row
	}
	row := apispec.FavoriteEmail{ID: it.id, Scope: scope, SavedAt: saved, Folder: folder}
	if e := d.emailByID[it.itemID]; e != nil {
		r := e.row
		row.Email = &r
	}
	return row
}

func parentID(f *favoriteFolder) *string {
	if f.parent == nil {
		return nil
	}
	id := f.parent.id
	return &id
}

func handleAddFavorite(c *call) (result, *apiError) {
	d := c.data()
	id := c.v.str(c.itemParam())
	exists := map[string]bool{"ads": d.adByID[id] != nil, "shops": d.shopByID[id] != nil, "emails": d.emailByID[id] != nil}[c.kind()]
	if !exists {
		return result{}, notFound("No %s with id %q to save.", strings.TrimSuffix(c.kind(), "s"), id)
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	l := c.favorites()
	var folder *favoriteFolder
	if fid := c.v.str("folderId"); fid != "" {
		if folder = l.folder(fid); folder == nil {
			return result{}, folderNotFound(fid)
		}
	}
	no, yes := false, true
	for _, it := range l.items {
		if it.itemID == id {
			return result{item: c.favoriteRow(it), created: &no}, nil
		}
	}
	it := &favoriteItem{id: c.newID(l, "item"), itemID: id, folder: folder, savedAt: c.now}
	l.items = append(l.items, it)
	return result{item: c.favoriteRow(it), created: &yes}, nil
}

func handleListFavorites(c *call) (result, *apiError) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	l := c.favorites()
	fid := c.v.str("folderId")
	if fid != "" && l.folder(fid) == nil {
		return result{}, folderNotFound(fid)
	}
	var out []any
	for i := len(l.items) - 1; i >= 0; i-- {
		it := l.items[i]
		if fid != "" && (it.folder == nil || it.folder.id != fid) {
			continue
		}
		out = append(out, c.favoriteRow(it))
	}
	return result{rows: rowsOf(out)}, nil
}

func handleRemoveFavorite(c *call) (result, *apiError) {
	id := c.path[c.itemParam()]
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	l := c.favorites()
	n := len(l.items)
	l.items = slices.DeleteFunc(l.items, func(it *favoriteItem) bool { return it.itemID == id })
	if len(l.items) == n {
		return result{}, notFound("%q is not in this scope's favorites.", id)
	}
	return result{item: apispec.RemovedFavorite{Removed: int64(n - len(l.items)), RemovedAt: dt(c.now)}}, nil
}

func (c *call) saved(l *favoriteList) (*favoriteItem, *apiError) {
	id := c.path["favoriteId"]
	for _, it := range l.items {
		if it.id == id {
			return it, nil
		}
	}
	return nil, notFound("No saved favorite with id %q in this scope.", id)
}

func handleMoveSaved(c *call) (result, *apiError) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	l := c.favorites()
	it, e := c.saved(l)
	if e != nil {
		return result{}, e
	}
	var target *favoriteFolder
	if !c.v.isNull("folderId") {
		if target = l.folder(c.v.str("folderId")); target == nil {
			return result{}, folderNotFound(c.v.str("folderId"))
		}
	}
	it.folder = target
	return result{item: c.favoriteRow(it)}, nil
}

func handleDeleteSaved(c *call) (result, *apiError) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	l := c.favorites()
	it, e := c.saved(l)
	if e != nil {
		return result{}, e
	}
	l.items = slices.DeleteFunc(l.items, func(x *favoriteItem) bool { return x == it })
	return result{item: apispec.RemovedFavorite{Removed: 1, RemovedAt: dt(c.now)}}, nil
}

// folderRow is a folder as answered; s.mu must be held.
func (l *favoriteList) folderRow(f *favoriteFolder) apispec.FavoriteFolder {
	var n int64
	for _, it := range l.items {
		if it.folder == f {
			n++
		}
	}
	return apispec.FavoriteFolder{ID: f.id, Name: f.name, ParentID: parentID(f), Visibility: f.visibility,
		Rank: slices.Index(l.folders, f) + 1, ItemsCount: n, CreatedAt: dt(f.createdAt)}
}

func handleCreateFavoriteFolder(c *call) (result, *apiError) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	l := c.favorites()
	if len(l.folders) >= maxFavoriteFolders {
		return result{}, newError(http.StatusForbidden, codeForbidden, "A scope holds at most %d folders of a kind; delete one first.", maxFavoriteFolders)
	}
	var parent *favoriteFolder
	if pid := c.v.str("parentId"); pid != "" {
		if parent = l.folder(pid); parent == nil {
			return result{}, folderNotFound(pid)
		}
	}
	f := &favoriteFolder{id: c.newID(l, "folder"), name: c.v.str("name"), parent: parent, visibility: "private", createdAt: c.now}
	l.folders = append(l.folders, f)
	return result{item: l.folderRow(f)}, nil
}

func handleListFavoriteFolders(c *call) (result, *apiError) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	l := c.favorites()
	out := make([]apispec.FavoriteFolder, len(l.folders))
	for i, f := range l.folders {
		out[i] = l.folderRow(f)
	}
	return result{rows: rowsOf(out)}, nil
}

func (c *call) favoriteFolder(l *favoriteList) (*favoriteFolder, *apiError) {
	f := l.folder(c.path["folderId"])
	if f == nil {
		return nil, folderNotFound(c.path["folderId"])
	}
	return f, nil
}

func handleUpdateFavoriteFolder(c *call) (result, *apiError) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	l := c.favorites()
	f, e := c.favoriteFolder(l)
	if e != nil {
		return result{}, e
	}
	if c.v.has("parentId") {
		var p *favoriteFolder
		if !c.v.isNull("parentId") {
			if p = l.folder(c.v.str("parentId")); p == nil {
				return result{}, folderNotFound(c.v.str("parentId"))
			}
			for q := p; q != nil; q = q.parent {
				if q == f {
					return result{}, invalid([]validationError{{Field: "body.parentId", Location: "body",
						Expected: []string{"parentId must not be the folder itself or one of its subfolders"}}})
				}
			}
		}
		f.parent = p
	}
	if n := c.v.str("name"); n != "" {
		f.name = n
	}
	return result{item: l.folderRow(f)}, nil
}

func handleDeleteFavoriteFolder(c *call) (result, *apiError) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	l := c.favorites()
	f, e := c.favoriteFolder(l)
	if e != nil {
		return result{}, e
	}
	mode := c.v.str("mode")
	var target *favoriteFolder
	if mode == "move_items_to_folder" {
		tid := c.v.str("targetFolderId")
		if target = l.folder(tid); target == nil {
			return result{}, folderNotFound(tid)
		}
		if target == f {
			return result{}, invalid([]validationError{{Field: "body.targetFolderId", Location: "body",
				Expected: []string{"targetFolderId must be another folder than the one deleted"}}})
		}
	}
	out := apispec.DeletedFavoriteFolder{ID: f.id, Mode: mode, DeletedAt: dt(c.now)}
	l.items = slices.DeleteFunc(l.items, func(it *favoriteItem) bool {
		if it.folder != f {
			return false
		}
		if mode == "delete_items" {
			out.DeletedItems++
			return true
		}
		it.folder = target
		out.MovedItems++
		return false
	})
	for _, g := range l.folders {
		if g.parent == f {
			g.parent = f.parent
		}
	}
	l.folders = slices.DeleteFunc(l.folders, func(g *favoriteFolder) bool { return g == f })
	return result{item: out}, nil
}

func handleFolderVisibility(c *call) (result, *apiError) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	l := c.favorites()
	f, e := c.favoriteFolder(l)
	if e != nil {
		return result{}, e
	}
	f.visibility = c.v.str("visibility")
	return result{item: l.folderRow(f)}, nil
}

func handleReorderFolders(c *call) (result, *apiError) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	l := c.favorites()
	ids := c.v.strs("folderIds")
	var order []*favoriteFolder
	for _, id := range ids {
		f := l.folder(id)
		if f == nil || slices.Contains(order, f) {
			order = nil
			break
		}
		order = append(order, f)
	}
	if len(order) != len(l.folders) {
		return result{}, invalid([]validationError{{Field: "body.folderIds", Location: "body",
			Expected: []string{"folderIds must list every folder of this scope exactly once"}}})
	}
	l.folders = order
	out := make([]apispec.FavoriteFolder, len(order))
	for i, f := range order {
		out[i] = l.folderRow(f)
	}
	return result{rows: rowsOf(out)}, nil
}

func handleShareFolder(c *call) (result, *apiError) {
	c.s.mu.Lock()
	l := c.favorites()
	f, e := c.favoriteFolder(l)
	c.s.mu.Unlock()
	if e != nil {
		return result{}, e
	}
	sh, created := c.share("favorite_ad_folder", f.id)
	return result{item: sh, created: &created}, nil
}

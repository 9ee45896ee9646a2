// Package opfixtures is the one table of valid arguments for every
// operation of internal/apispec, shared by the tests that call every
// operation: sandbox's over HTTP and tools' through Toolbox.Call. It finds
// (and, for favorites, creates) real resources of one sandbox workspace by
// calling operations, and gives for each parameter of an operation the
// value that makes a call succeed, as a JSON value (strings, int64, []any,
// the document's examples). How the values travel (query strings, a JSON
// body, tool arguments) is each test's business.
//
// Only _test files import it.
package opfixtures

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tollgate-mcp/tollgate/internal/apispec"
)

// Caller calls the operation with operationId op in one workspace, with
// args (JSON values by parameter name, whether the parameter travels in
// the path, the query or the body), and returns the answer's data. It
// fails t when the call does not succeed.
type Caller func(t testing.TB, op string, args map[string]any) json.RawMessage

// Fixtures are ids of real resources of one sandbox workspace.
type Fixtures struct {
	Ad, Advertiser string // a video ad about coffee, and its advertiser (a Facebook page)
	Shop, Domain   string
	Tracker        string
	TrackerFolder  int64
	Email, TikTok  string
	// By favorites kind (the path segment: ads, shops, emails): a folder,
	// another folder to move things to, and the id of a saved row (in
	// FavFolder). Empty unless Find was asked for favorites.
	FavFolder, FavMove, FavSaved map[string]string
}

// favoriteKinds are the kinds of favorites: the path segment, the name in
// operation ids, and the body parameter naming the saved thing.
var favoriteKinds = []struct{ path, name, item string }{
	{"ads", "Ad", "adId"},
	{"shops", "Shop", "websiteId"},
	{"emails", "Email", "emailId"},
}

// Find finds the resources through call; with favorites it also creates
// two folders of each kind of favorite and saves an item in the first
// (writes, which the operations that need them alone pay for).
func Find(t testing.TB, call Caller, favorites bool) *Fixtures {
	t.Helper()
	fx := &Fixtures{FavFolder: map[string]string{}, FavMove: map[string]string{}, FavSaved: map[string]string{}}
	first := func(op string, args map[string]any) map[string]any {
		t.Helper()
		var rows []map[string]any
		if err := decode(call(t, op, args), &rows); err != nil || len(rows) == 0 {
			t.Fatalf("fixture: no rows from %s %v", op, args)
		}
		return rows[0]
	}
	ad := first("listAds", map[string]any{"search": "coffee", "limit": int64(1), "mediaType": "video"})
	fx.Ad = str(t, ad["id"])
	adv, _ := ad["advertiser"].(map[string]any)
	fx.Advertiser = str(t, adv["id"])
	shop := first("listShops", map[string]any{"limit": int64(1)})
	fx.Shop, fx.Domain = str(t, shop["id"]), str(t, shop["domain"])
	fx.Tracker = str(t, first("listBrandtrackers", map[string]any{"limit": int64(1), "sortBy": "activeAds"})["id"])
	folder, err := first("listBrandtrackerFolders", nil)["id"].(json.Number).Int64()
	if err != nil {
		t.Fatalf("fixture: brandtracker folder id: %v", err)
	}
	fx.TrackerFolder = folder
	fx.Email = str(t, first("queryEmails", map[string]any{"limit": int64(1)})["id"])
	fx.TikTok = str(t, first("listTiktokLibrary", map[string]any{"limit": int64(1)})["id"])
	if !favorites {
		return fx
	}
	items := map[string]string{"ads": fx.Ad, "shops": fx.Shop, "emails": fx.Email}
	for _, k := range favoriteKinds {
		id := func(op string, args map[string]any) string {
			t.Helper()
			var v struct{ ID any }
			if err := decode(call(t, op, args), &v); err != nil || v.ID == nil {
				t.Fatalf("fixture: no id from %s %v", op, args)
			}
			return fmt.Sprint(v.ID)
		}
		create := "createFavorite" + k.name + "Folder"
		fx.FavFolder[k.path] = id(create, map[string]any{"scope": "workspace", "name": "A"})
		fx.FavMove[k.path] = id(create, map[string]any{"scope": "workspace", "name": "B"})
		fx.FavSaved[k.path] = id("addFavorite"+k.name, map[string]any{"scope": "workspace", k.item: items[k.path], "folderId": fx.FavFolder[k.path]})
	}
	return fx
}

// decode unmarshals data keeping numbers as json.Number, so that ids
// read back exactly.
func decode(data json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

func str(t testing.TB, v any) string {
	t.Helper()
	s, ok := v.(string)
	if !ok || s == "" {
		t.Fatalf("fixture: id %v is not a string", v)
	}
	return s
}

// Args returns, by name, a value for every parameter and body property
// of o that makes a valid call; the parameters better left out are
// absent. No operation uses one name twice (TestNamesAreUniquePerOperation),
// so one map serves path, query and body.
func (fx *Fixtures) Args(o apispec.Operation) map[string]any {
	args := map[string]any{}
	for _, p := range append(slices.Clone(o.Params), o.Body...) {
		if v := fx.Value(o, p); v != nil {
			args[p.Name] = v
		}
	}
	return args
}

// Value returns a value for parameter p of o that makes a valid call, or
// nil when p is better left out: an id of a fixture where p names one,
// else the document's example when p has one or is required.
func (fx *Fixtures) Value(o apispec.Operation, p apispec.Param) any {
	kind := favoriteKind(o)
	switch p.Name {
	case "adId":
		return fx.Ad
	case "advertiserId":
		return fx.Advertiser
	case "shopId", "identifier":
		if p.In != apispec.InPath {
			return nil // the operations that take it in the query or body take one of several ids
		}
		return fx.Shop
	case "websiteId":
		if p.In == apispec.InBody && o.ID == "createBrandtracker" {
			return nil
		}
		return fx.Shop
	case "brandtrackerId":
		return fx.Tracker
	case "brandtrackerIds":
		if p.Example != nil {
			return []any{fx.Tracker}
		}
	case "folderId":
		switch {
		case kind != "" && strings.HasPrefix(o.ID, "moveSaved"):
			return fx.FavMove[kind]
		case kind != "" && p.In == apispec.InPath:
			return fx.FavFolder[kind]
		case kind != "":
			return nil
		case p.In == apispec.InPath || p.Required:
			return fx.TrackerFolder
		}
		return nil
	case "favoriteId":
		return fx.FavSaved[kind]
	case "emailId":
		return fx.Email
	case "itemId":
		return fx.TikTok
	case "domain", "scopeDomain":
		if p.Example != nil {
			return fx.Domain
		}
	case "facebookPageId":
		if p.Example != nil {
			return fx.Advertiser
		}
	case "folderIds":
		if p.Required {
			return []any{fx.FavFolder[kind], fx.FavMove[kind]}
		}
	case "targetFolderId", "parentId":
		return nil
	}
	if p.Example == nil && !p.Required {
		return nil
	}
	if s, ok := p.Example.([]string); ok {
		out := make([]any, len(s))
		for i, v := range s {
			out[i] = v
		}
		return out
	}
	return p.Example
}

// RequiredFor returns the parameter, and a valid value of it, that o
// also needs when param is set to value (a required-when constraint), or
// "" and nil.
func (fx *Fixtures) RequiredFor(o apispec.Operation, param, value string) (string, any) {
	for _, c := range o.Constraints {
		if c.Kind == apispec.RequiredWhen && c.If == param && c.Equals == value {
			switch c.Params[0] {
			case "targetFolderId":
				return c.Params[0], fx.FavMove[favoriteKind(o)]
			case "value":
				return c.Params[0], "Shop Now"
			}
		}
	}
	return "", nil
}

// favoriteKind is the kind of favorites o works on (ads, shops, emails),
// or "" for an operation that is not about favorites.
func favoriteKind(o apispec.Operation) string {
	if o.Tag != "Favorites" {
		return ""
	}
	return strings.Split(o.Path, "/")[3]
}

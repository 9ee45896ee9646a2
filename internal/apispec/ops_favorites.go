package apispec

// Favorites operations: saved ads, shops and emails, and their folders.
// Every one takes the required query parameter scope.

// favoriteKind is one kind of saved item.
type favoriteKind struct {
	path     string // ads, shops, emails
	name     string // Ad, Shop, Email (in operation ids)
	noun     string // ad, shop, email
	a        string // the noun with its article: an ad, a shop, an email
	itemID   string // path parameter naming the saved thing: adId, websiteId, emailId
	itemDesc string
	example  string
	savedID  string // what a saved-row id looks like
	flat     bool   // folders cannot nest (shops)
	reorder  bool   // folders can be reordered
	share    bool   // folders can be shared
}

var favoriteKinds = []favoriteKind{
	{path: "ads", name: "Ad", noun: "ad", a: "an ad", itemID: "adId", itemDesc: "Ad id, e.g. facebook_120200000000001234.", example: "facebook_120200000000001234",
		savedID: "a number", reorder: true, share: true},
	{path: "shops", name: "Shop", noun: "shop", a: "a shop", itemID: "websiteId", itemDesc: "Shop (website) id.", example: "100000",
		savedID: "a string", flat: true},
	{path: "emails", name: "Email", noun: "email", a: "an email", itemID: "emailId", itemDesc: "Email id (a UUID).", example: "00000000-0000-4000-8000-000000000000",
		savedID: "a UUID", reorder: true},
}

func scopeParam() Param {
	return required(enum("scope", "", "Whose favorites: the workspace's, or the delegated user's own (personal, delegated_user keys only; full_access keys get 403).",
		"workspace", "personal"), "workspace")
}

func favoritesOps() []Operation {
	var ops []Operation
	for _, k := range favoriteKinds {
		base := "/v1/favorites/" + k.path
		listID := "listFavorite" + k.name + "s"
		folders := "listFavorite" + k.name + "Folders"
		inv := []string{listID, folders}
		folderID := path("folderId", "Favorites folder id (a UUID).", "00000000-0000-4000-8000-000000000000")
		savedID := path("favoriteId", "Saved favorite id ("+k.savedID+", the id of a row of GET "+base+").", "1")
		folderBody := []Param{required(strMax("name", 100, "Folder name."), "Winning creatives")}
		updateBody := []Param{strMax("name", 100, "New name.")}
		if !k.flat {
			folderBody = append(folderBody, uuidParam("parentId", "Parent folder; the root when absent."))
			updateBody = append(updateBody, nullable(uuidParam("parentId", "New parent folder; null moves it to the root.")))
		}
		ops = append(ops,
			Operation{
				ID: "addFavorite" + k.name, Method: "POST", Path: base, Tag: "Favorites",
				Summary:     "Save " + k.a + " to favorites",
				Description: "Saves the " + k.noun + " to the scope's favorites, optionally in a folder. Saving one already saved returns the existing favorite with created:false and changes nothing.",
				Access:      AccessScoped,
				Params:      []Param{scopeParam()},
				Body:        body(required(str(k.itemID, k.itemDesc), k.example), uuidParam("folderId", "Folder to save it in.")),
				Cost:        free(),
				Write:       Write{Kind: WriteUpsert, Invalidates: inv},
				Response:    upserted("Favorite" + k.name),
			},
			Operation{
				ID: listID, Method: "GET", Path: base, Tag: "Favorites",
				Summary:     "Favorite " + k.noun + "s",
				Description: "The scope's saved " + k.noun + "s, newest first, each with its folder and the " + k.noun + " itself.",
				Access:      AccessScoped,
				Params:      concat([]Param{scopeParam()}, paged(25, 100), []Param{uuidParam("folderId", "Only this folder's favorites.")}),
				Paging:      PagingPage,
				Cost:        perRow("favorite", 100),
				Response:    Response{Shape: ShapeList, Schema: "Favorite" + k.name},
			},
			Operation{
				ID: "removeFavorite" + k.name, Method: "DELETE", Path: base + "/{" + k.itemID + "}", Tag: "Favorites",
				Summary:     "Remove " + k.a + " from favorites",
				Description: "Removes the " + k.noun + " from the scope's favorites, wherever it is saved.",
				Access:      AccessScoped,
				Params:      []Param{path(k.itemID, k.itemDesc, k.example), scopeParam()},
				Cost:        free(),
				Write:       Write{Kind: WriteDelete, Invalidates: inv},
				Response:    item("RemovedFavorite"),
			},
			Operation{
				ID: "moveSavedFavorite" + k.name, Method: "PATCH", Path: base + "/saved/{favoriteId}/folder", Tag: "Favorites",
				Summary:     "Move a saved " + k.noun + " to another folder",
				Description: "Moves one saved favorite to a folder, or to the root with folderId null.",
				Access:      AccessScoped,
				Params:      []Param{savedID, scopeParam()},
				Body:        body(required(nullable(uuidParam("folderId", "Target folder; null moves it to the root.")), "00000000-0000-4000-8000-000000000000")),
				Cost:        free(),
				Write:       Write{Kind: WriteUpdate, Invalidates: inv},
				Response:    item("Favorite" + k.name),
			},
			Operation{
				ID: "deleteSavedFavorite" + k.name, Method: "DELETE", Path: base + "/saved/{favoriteId}", Tag: "Favorites",
				Summary:     "Delete a saved " + k.noun + " by favorite id",
				Description: "Deletes one saved favorite by its favorite id.",
				Access:      AccessScoped,
				Params:      []Param{savedID, scopeParam()},
				Cost:        free(),
				Write:       Write{Kind: WriteDelete, Invalidates: inv},
				Response:    item("RemovedFavorite"),
			},
			Operation{
				ID: "createFavorite" + k.name + "Folder", Method: "POST", Path: base + "/folders", Tag: "Favorites",
				Summary:     "Create a favorite " + k.noun + "s folder",
				Description: "Creates a folder for saved " + k.noun + "s. Not idempotent: each call creates another folder.",
				Access:      AccessScoped,
				Params:      []Param{scopeParam()},
				Body:        body(folderBody...),
				Cost:        free(),
				Write:       Write{Kind: WriteCreate, Invalidates: inv},
				Response:    created("FavoriteFolder"),
			},
			Operation{
				ID: folders, Method: "GET", Path: base + "/folders", Tag: "Favorites",
				Summary:     "Favorite " + k.noun + "s folders",
				Description: "The scope's folders for saved " + k.noun + "s, in their order, with item counts. A scope holds at most 100 folders of a kind.",
				Access:      AccessScoped,
				Params:      []Param{scopeParam()},
				Cost:        perRowFixed("folder", 100),
				Response:    list("FavoriteFolder"),
			},
			Operation{
				ID: "updateFavorite" + k.name + "Folder", Method: "PATCH", Path: base + "/folders/{folderId}", Tag: "Favorites",
				Summary:     "Rename or move a favorite " + k.noun + "s folder",
				Description: "Renames the folder" + map[bool]string{false: " or moves it under another parent", true: ""}[k.flat] + ".",
				Access:      AccessScoped,
				Params:      []Param{folderID, scopeParam()},
				Body:        body(updateBody...),
				Cost:        free(),
				Write:       Write{Kind: WriteUpdate, Invalidates: inv},
				Response:    item("FavoriteFolder"),
			},
			Operation{
				ID: "deleteFavorite" + k.name + "Folder", Method: "DELETE", Path: base + "/folders/{folderId}", Tag: "Favorites",
				Summary:     "Delete a favorite " + k.noun + "s folder",
				Description: "Deletes the folder and, by mode, its saved items (delete_items), or moves them to the root (move_items_to_root) or to targetFolderId (move_items_to_folder).",
				Access:      AccessScoped,
				Params:      []Param{folderID, scopeParam()},
				Body: body(
					required(enum("mode", "", "What happens to the folder's saved items.", "delete_items", "move_items_to_root", "move_items_to_folder"), "move_items_to_root"),
					uuidParam("targetFolderId", "Folder receiving the items; required with mode=move_items_to_folder."),
				),
				Constraints: []Constraint{requiredWhen("targetFolderId", "mode", "move_items_to_folder")},
				Cost:        free(),
				Write:       Write{Kind: WriteDelete, Invalidates: inv},
				Response:    item("DeletedFavoriteFolder"),
			},
			Operation{
				ID: "setFavorite" + k.name + "FolderVisibility", Method: "PATCH", Path: base + "/folders/{folderId}/visibility", Tag: "Favorites",
				Summary:     "Share a favorite " + k.noun + "s folder with the organization, or make it private",
				Description: "Sets who sees the folder: only its owner (private) or the whole organization.",
				Access:      AccessScoped,
				Params:      []Param{folderID, scopeParam()},
				Body:        body(required(enum("visibility", "", "Who sees the folder.", "private", "organization"), "organization")),
				Cost:        free(),
				Write:       Write{Kind: WriteUpdate, Invalidates: inv},
				Response:    item("FavoriteFolder"),
			},
		)
		if k.reorder {
			ops = append(ops, Operation{
				ID: "reorderFavorite" + k.name + "Folders", Method: "PATCH", Path: base + "/folders/reorder", Tag: "Favorites",
				Summary:     "Reorder favorite " + k.noun + "s folders",
				Description: "Sets the order of the scope's folders: folderIds lists every folder once, in the new order.",
				Access:      AccessScoped,
				Params:      []Param{scopeParam()},
				Body:        body(required(withMaxItems(strs("folderIds", "Every folder id, in the new order."), 100), []string{"00000000-0000-4000-8000-000000000000"})),
				Cost:        free(),
				Write:       Write{Kind: WriteUpdate, Invalidates: inv},
				Response:    list("FavoriteFolder"),
			})
		}
		if k.share {
			ops = append(ops, Operation{
				ID: "shareFavorite" + k.name + "Folder", Method: "POST", Path: base + "/folders/{folderId}/share", Tag: "Favorites",
				Summary:     "Create or return the share link of a favorite " + k.noun + "s folder",
				Description: "Creates a public share link for the folder, or returns the one that already exists (created:false).",
				Access:      AccessScoped,
				Params:      []Param{folderID, scopeParam()},
				Cost:        free(),
				Write:       Write{Kind: WriteUpsert},
				Response:    upserted("Share"),
			})
		}
	}
	return ops
}

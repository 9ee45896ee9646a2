package tools

// Overlay entries of the Favorites operations: saved ads, shops and
// emails and their folders, one toolset per kind. The three kinds share
// their shape, so their entries are written once.

const scopeNote = " scope=workspace is the workspace's shared favorites; scope=personal the delegated user's own (delegated_user keys only)."

func favoriteOverlays() map[string]overlay {
	out := map[string]overlay{}
	for _, k := range []struct {
		path, a, noun, nouns, toolset, itemID, source string
		nested, reorder, share                        bool
	}{
		{"ads", "an", "ad", "ads", ToolsetFavoriteAds, "adId", "search_ads or any ad list", true, true, true},
		{"shops", "a", "shop", "shops", ToolsetFavoriteShops, "websiteId", "search_shops (the shop id)", false, false, false},
		{"emails", "an", "email", "emails", ToolsetFavoriteEmails, "emailId", "query_emails", true, true, false},
	} {
		base := "/v1/favorites/" + k.path
		fav := "favorite_" + k.noun
		add := func(method, path, name, title, about string) {
			out[method+" "+path] = overlay{name: name, title: title, toolset: k.toolset, about: about + scopeNote}
		}
		add("POST", base, "save_"+fav, "Save "+k.a+" "+k.noun+" to favorites",
			"Save "+k.a+" "+k.noun+" ("+k.itemID+" from "+k.source+") to favorites, optionally into a folder. Idempotent: saving one already saved returns it with created=false.")
		add("GET", base, "list_"+fav+"s", "Favorite "+k.nouns,
			"The saved "+k.nouns+", newest first, each with its folder and the "+k.noun+" itself; folderId narrows to one folder.")
		add("DELETE", base+"/{"+k.itemID+"}", "remove_"+fav, "Remove "+k.a+" "+k.noun+" from favorites",
			"Remove "+k.a+" "+k.noun+" from favorites by its "+k.itemID+", wherever it is saved.")
		add("PATCH", base+"/saved/{favoriteId}/folder", "move_"+fav, "Move a favorite "+k.noun,
			"Move one saved "+k.noun+" (by the favoriteId of a row of list_"+fav+"s) to a folder, or to the root with folderId null.")
		add("DELETE", base+"/saved/{favoriteId}", "remove_saved_"+fav, "Remove one saved "+k.noun+" by favorite id",
			"Remove one saved "+k.noun+" by its favoriteId (the id of a row of list_"+fav+"s); remove_"+fav+" does the same by "+k.itemID+".")
		add("POST", base+"/folders", "create_"+fav+"_folder", "Create a favorite "+k.nouns+" folder",
			"Create a folder for saved "+k.nouns+". Not idempotent: each call creates another folder, so check list_"+fav+"_folders first.")
		add("GET", base+"/folders", "list_"+fav+"_folders", "Favorite "+k.nouns+" folders",
			"The folders of saved "+k.nouns+" in their order, with item counts (at most 100).")
		rename := "Rename a favorite " + k.nouns + " folder."
		if k.nested {
			rename = "Rename a favorite " + k.nouns + " folder or move it under another parent (parentId null: the root)."
		}
		add("PATCH", base+"/folders/{folderId}", "update_"+fav+"_folder", "Rename a favorite "+k.nouns+" folder", rename)
		add("DELETE", base+"/folders/{folderId}", "delete_"+fav+"_folder", "Delete a favorite "+k.nouns+" folder",
			"Delete a folder of saved "+k.nouns+"; mode says what happens to its items: delete_items, move_items_to_root, or move_items_to_folder (with targetFolderId). Ask the user before delete_items.")
		add("PATCH", base+"/folders/{folderId}/visibility", "set_"+fav+"_folder_visibility", "Share a favorite "+k.nouns+" folder",
			"Set who sees a folder of saved "+k.nouns+": only its owner (private) or the whole organization.")
		if k.reorder {
			add("PATCH", base+"/folders/reorder", "reorder_"+fav+"_folders", "Reorder favorite "+k.nouns+" folders",
				"Set the order of the folders of saved "+k.nouns+": folderIds lists every folder once, in the new order.")
		}
		if k.share {
			add("POST", base+"/folders/{folderId}/share", "share_"+fav+"_folder", "Share link of a favorite "+k.nouns+" folder",
				"Create a public share link for a folder of saved "+k.nouns+", or return the existing one (created=false). Safe to repeat.")
		}
	}
	return out
}

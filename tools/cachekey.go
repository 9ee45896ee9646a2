package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tollgate-mcp/tollgate/budget"
	"github.com/tollgate-mcp/tollgate/cache"
	"github.com/tollgate-mcp/tollgate/runtime"
)

// normalArgs returns the arguments of a call of t in the form that
// identifies it: view arguments (fields, fresh) left out, every absent
// argument with a default given its default, numbers as float64, and
// the elements of set-like arrays sorted. Two calls with equal normal
// arguments ask the API the same question.
func (t *Tool) normalArgs(args map[string]any) map[string]any {
	out := make(map[string]any, len(args)+4)
	props := t.args()
	for name, v := range args {
		if isViewArg(name) {
			continue
		}
		out[name] = normalValue(name, v, props[name])
	}
	for name, p := range props {
		if _, given := out[name]; given || isViewArg(name) {
			continue
		}
		if d, ok := p["default"]; ok {
			out[name] = normalValue(name, d, p)
		}
	}
	return out
}

// normalValue normalises one argument with schema s (nil when unknown).
func normalValue(name string, v any, s map[string]any) any {
	switch x := v.(type) {
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return f
		}
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case float32:
		return float64(x)
	case []string:
		list := make([]any, len(x))
		for i, e := range x {
			list[i] = e
		}
		return normalValue(name, list, s)
	case []any:
		items, _ := s["items"].(map[string]any)
		list := make([]any, len(x))
		for i, e := range x {
			list[i] = normalValue("", e, items)
		}
		if setLike(name, s) {
			slices.SortFunc(list, func(a, b any) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
			list = slices.CompactFunc(list, func(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) })
		}
		return list
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		m := make(map[string]any, len(x))
		for k, e := range x {
			ps, _ := props[k].(map[string]any)
			m[k] = normalValue(k, e, ps)
		}
		return m
	}
	return v
}

// setLike reports an array argument whose order and repeats the API
// ignores: a set of enum values (platforms, networks), of ISO country
// codes (countries, adCountries.include), of ids (folderIds) or of
// hashtags. Keyword lists are not: their order may weigh in relevance.
func setLike(name string, s map[string]any) bool {
	if s == nil {
		return false
	}
	items, _ := s["items"].(map[string]any)
	if items == nil {
		return false
	}
	if _, ok := items["enum"]; ok {
		return true
	}
	if p, _ := items["pattern"].(string); p == "^[A-Za-z]{2}$" {
		return true
	}
	return strings.HasSuffix(name, "Ids") || name == "hashtags" || name == "countries"
}

// invalidates lists, for a resource whose writes change others, every
// resource a write to it affects. A write to a resource missing here
// affects that resource only.
var invalidates = map[string][]string{
	// Workspace views (top ads, hooks, media mix...) are built over the
	// workspace's brandtrackers.
	"brandtrackers": {"brandtrackers", "workspace"},
}

// resource is the API resource of a path, its first segment after /v1:
// "/v1/brandtrackers/{id}/ads" is "brandtrackers".
func resource(path string) string {
	p := strings.TrimPrefix(strings.TrimPrefix(path, "/v1"), "/")
	if i := strings.IndexByte(p, '/'); i >= 0 {
		p = p[:i]
	}
	return p
}

// group returns the cache group of t's calls: the API, the workspace and
// the resource. ok is false when the workspace cannot be learnt.
func (b *Toolbox) group(ctx context.Context, t *Tool) (string, bool) {
	return b.groupOf(ctx, resource(t.Path))
}

func (b *Toolbox) groupOf(ctx context.Context, res string) (string, bool) {
	ws, ok := b.workspace(ctx)
	if !ok {
		return "", false
	}
	return b.share.base + ":" + ws + ":" + res, true
}

// workspaceRetry is how long calls go uncached after GET /v1/workspace
// failed, before it is asked again.
const workspaceRetry = 30 * time.Second

// workspace returns the id of the workspace of the API key, from the
// Config or from GET /v1/workspace (free), asked again workspaceRetry
// after a failure.
func (b *Toolbox) workspace(ctx context.Context) (string, bool) {
	s := b.share
	s.wsMu.Lock()
	defer s.wsMu.Unlock()
	if s.ws != "" {
		return s.ws, true
	}
	now := time.Now
	if s.cache != nil {
		now = s.cache.Config().Now
	}
	if now().Before(s.wsRetryAt) {
		return "", false // it failed moments ago: the calls in between go uncached
	}
	resp, err := b.client.Do(context.WithoutCancel(ctx), &runtime.Request{Method: "GET", Path: "/v1/workspace", Operation: "getWorkspace"})
	if err != nil {
		s.wsRetryAt = now().Add(workspaceRetry)
		b.log.Debug("cache: cannot learn the workspace; calling the API uncached", "err", err)
		return "", false
	}
	var w struct {
		Workspace struct {
			ID string `json:"id"`
		} `json:"workspace"`
	}
	if json.Unmarshal(resp.Data, &w) != nil || w.Workspace.ID == "" {
		b.log.Debug("cache: GET /v1/workspace answered no workspace id; calling the API uncached")
		return "", false
	}
	s.ws = w.Workspace.ID
	return s.ws, true
}

// invalidateAfter drops the cached answers a write of t may have
// changed, once the write was sent: a success, or a failure the API may
// have acted on anyway (5xx, a dropped connection). Failures that never
// reached it, or that it refused (4xx), changed nothing.
func (b *Toolbox) invalidateAfter(ctx context.Context, t *Tool, r *Result) {
	c := b.share.cache
	if c == nil || t.Annotations.ReadOnly || t.Operation == "" {
		return
	}
	if r.IsError {
		f, _ := r.Structured.(*Failure)
		if f == nil || f.Error.Source == SourceTool || f.Error.Source == budget.SourceBudget {
			return
		}
		if f.Error.HTTPStatus >= 400 && f.Error.HTTPStatus < 500 {
			return
		}
	}
	res := resource(t.Path)
	affected := invalidates[res]
	if len(affected) == 0 {
		affected = []string{res}
	}
	for _, a := range affected {
		g, ok := b.groupOf(ctx, a)
		if !ok {
			return
		}
		if err := c.Invalidate(context.WithoutCancel(ctx), g); err != nil {
			b.log.Warn("cache: cannot drop the answers a write changed; they stay until their TTL", "tool", t.Name, "group", a, "err", err)
		}
	}
}

// FreshnessSource returns the cache's source of the API's data freshness:
// GET /v1/system/freshness through c, which is free.
func FreshnessSource(c *runtime.Client) cache.FreshnessSource {
	return cache.FreshnessFunc(func(ctx context.Context) (cache.Freshness, error) {
		resp, err := c.Do(ctx, &runtime.Request{Method: "GET", Path: "/v1/system/freshness", Operation: "getSystemFreshness", Idempotent: true})
		if err != nil {
			return cache.Freshness{}, err
		}
		var f cache.Freshness
		if err := json.Unmarshal(resp.Data, &f); err != nil {
			return cache.Freshness{}, fmt.Errorf("tools: GET /v1/system/freshness answered a body of the wrong shape: %w", err)
		}
		if f.LatestReadyDate == "" {
			return cache.Freshness{}, errors.New("tools: GET /v1/system/freshness answered no latestReadyDate")
		}
		return f, nil
	})
}

// Cached reports whether a call of the named tool with args would be
// answered from the cache now, for free (estimate_cost, and batch jobs
// deciding whether the budget lets a call start). It counts neither a
// hit nor a miss.
func (b *Toolbox) Cached(ctx context.Context, name string, args map[string]any) (cache.Entry, bool) {
	t, ok := b.cat.Lookup(name)
	if !ok || !b.shares(t) || b.share.cache == nil {
		return cache.Entry{}, false
	}
	if fresh, _ := args[ArgFresh].(bool); fresh {
		return cache.Entry{}, false
	}
	key, err := cache.Key(t.Method, t.Path, t.normalArgs(args))
	if err != nil {
		return cache.Entry{}, false
	}
	group, ok := b.group(ctx, t)
	if !ok {
		return cache.Entry{}, false
	}
	return b.share.cache.Peek(ctx, group, key)
}

// CacheView is the cache part of get_budget's answer.
type CacheView struct {
	// Enabled reports a cache; Dedupe that concurrent identical calls
	// share one API call.
	Enabled bool `json:"enabled"`
	Dedupe  bool `json:"dedupe"`
	// Shared counts answers handed to callers of a call in flight;
	// Waiting is the callers waiting for one now.
	Shared  int64 `json:"shared"`
	Waiting int   `json:"waiting"`
	*cache.Stats
	Note string `json:"note,omitempty"`
}

// CacheView reports what the cache and dedupe did so far.
func (b *Toolbox) CacheView(ctx context.Context) *CacheView {
	s := b.share
	v := &CacheView{Enabled: s.cache != nil, Dedupe: s.dedupe, Shared: s.shared.Load(), Waiting: s.flight.Waiters()}
	if s.cache != nil {
		st := s.cache.Stats(ctx)
		v.Stats = &st
		v.Note = "Repeating a paid call while the API's data has not been refreshed costs 0 (metering.cached); estimate_cost says whether a call would be answered from the cache."
	}
	return v
}

// CallKey returns a key that is the same for two calls of the named tool
// that ask the API the same question and show the answer the same way:
// the order of arguments and of fields, defaults made explicit and the
// order of sets do not matter (a batch runs such calls once). ok is
// false for an unknown tool.
func (b *Toolbox) CallKey(name string, args map[string]any) (key string, ok bool) {
	t, found := b.cat.Lookup(name)
	if !found {
		return "", false
	}
	fields, _ := fieldsArg(args)
	fields = slices.Clone(fields)
	slices.Sort(fields)
	fresh, _ := args[ArgFresh].(bool)
	key, err := cache.Key(name, t.normalArgs(args), fields, fresh)
	return key, err == nil
}

// cacheViewSchema is the schema of CacheView (get_budget's cache).
func cacheViewSchema() map[string]any {
	n := integer
	return map[string]any{"type": "object",
		"description": "What tollgate's cache and the sharing of identical calls saved so far.",
		"properties": map[string]any{
			"enabled": boolean(), "dedupe": boolean(), "shared": n(), "waiting": n(),
			"hits": n(), "misses": n(), "stores": n(), "skipped": n(), "invalidations": n(), "errors": n(),
			"creditsSaved": n(), "entries": n(), "bytes": n(), "maxBytes": n(), "dataVersion": str(), "ttl": str(), "note": str(),
		}}
}

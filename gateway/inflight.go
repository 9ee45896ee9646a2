package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
)

// Cancellation.
//
// mcp-go files a call's cancel function under "<session id>:<request
// id>". Under 2026-07-28 every request's session id is "", so any client
// naming request id 1 would cancel whichever call with id 1 is in flight,
// another client's included; under 2025-11-25 a cancellation reaches a
// call only on the instance that runs it. So the gateway answers
// notifications/cancelled itself and never passes it on: it files every
// call it forwards under its scope (the session under 2025-11-25, the
// caller's token under 2026-07-28) and the JSON-RPC id, and a
// cancellation cancels only the calls of the same scope. With Peers the
// cancellation is also published, so the instance that runs the call
// cancels it wherever the notification landed. Ending a session (DELETE)
// cancels its calls and closes its streams the same way. A cancelled
// call's exchange is dropped first, so that no response of it is written
// (see exchange.go).

// A scope is whose calls a cancellation may reach.
type scope string

func sessionScope(id string) scope { return scope("s:" + SessionKey(id)) }

func callerScope(c *Client) scope { return scope("c:" + ownerOf(c.digest)) }

// streamKey files a GET stream, which has no JSON-RPC id.
const streamKey = "\x00stream"

// requestKey normalises a JSON-RPC id (a string or a number) so that
// 1, 1.0 and "1" are told apart as JSON-RPC requires, but the same id
// written twice matches. ok is false for an absent or null id.
func requestKey(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", false
	}
	switch v := v.(type) {
	case string:
		return "s:" + v, true
	case json.Number:
		return "n:" + v.String(), true
	}
	return "", false
}

// inflight files the cancel functions of the calls this instance runs.
type inflight struct {
	mu    sync.Mutex
	calls map[scope]map[string]map[*call]struct{}
}

type call struct {
	cancel context.CancelFunc
	x      *exchange // the call's HTTP answer; nil for a GET stream
}

// stop drops the call's answer and cancels it.
func (c *call) stop() {
	if c.x != nil {
		c.x.drop()
	}
	c.cancel()
}

func newInflight() *inflight { return &inflight{calls: map[scope]map[string]map[*call]struct{}{}} }

// add files cancel and the call's exchange x (nil for none) under s and
// key; remove takes them out again.
func (f *inflight) add(s scope, key string, cancel context.CancelFunc, x *exchange) (remove func()) {
	c := &call{cancel: cancel, x: x}
	f.mu.Lock()
	byKey := f.calls[s]
	if byKey == nil {
		byKey = map[string]map[*call]struct{}{}
		f.calls[s] = byKey
	}
	set := byKey[key]
	if set == nil {
		set = map[*call]struct{}{}
		byKey[key] = set
	}
	set[c] = struct{}{}
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(set, c)
		if len(set) == 0 {
			delete(byKey, key)
		}
		if len(byKey) == 0 {
			delete(f.calls, s)
		}
	}
}

// cancel cancels the calls of s filed under key and reports how many.
func (f *inflight) cancel(s scope, key string) int {
	f.mu.Lock()
	var found []*call
	for c := range f.calls[s][key] {
		found = append(found, c)
	}
	f.mu.Unlock()
	for _, c := range found {
		c.stop()
	}
	return len(found)
}

// end cancels every call and stream of s and reports how many.
func (f *inflight) end(s scope) int {
	f.mu.Lock()
	var found []*call
	for _, set := range f.calls[s] {
		for c := range set {
			found = append(found, c)
		}
	}
	f.mu.Unlock()
	for _, c := range found {
		c.stop()
	}
	return len(found)
}

// Peers connects the instances of one deployment, so that a cancellation
// or the end of a session reaches the calls another instance runs.
// redisstore.Peers is one (Redis pub/sub). Delivery is best effort, as
// cancellation itself is in MCP.
type Peers interface {
	// Publish sends msg to every instance, this one included.
	Publish(ctx context.Context, msg []byte) error
	// Subscribe delivers every message published by any instance to fn,
	// from when it returns until ctx ends. The channel it returns is
	// closed once delivery has stopped.
	Subscribe(ctx context.Context, fn func(msg []byte)) (<-chan struct{}, error)
}

// peerEvent is a message between instances.
type peerEvent struct {
	From  string `json:"from"` // instance id
	Kind  string `json:"kind"` // eventCancel or eventEnd
	Scope scope  `json:"scope"`
	Key   string `json:"key,omitempty"`
}

const (
	eventCancel = "cancel"
	eventEnd    = "end"
)

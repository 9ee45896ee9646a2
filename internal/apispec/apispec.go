// Package apispec describes the TrendTrack Public API as data: a table of
// every operation of the reference (method, path template, operationId,
// tag, parameters with their bounds and defaults, paging style, cost model
// with an upper bound, write and confirm semantics, response shape), and the
// OpenAPI 3.0.3 document tollgate's sandbox serves at GET /v1/openapi.json
// and tollgate compiles in as its built-in copy.
//
// The table drives three things: the document (Document), the sandbox's
// routing, validation and metering (package sandbox), and tollgate's
// per-operation reservations and tool descriptions (package tools). An
// operation is identified by Method and Path (Operation.Key); its ID is the
// operationId, a label.
//
// Every operation has an upper bound on what one call can be charged
// (Cost.Max), including answers of a fixed size that take no limit.
// Operation.Reservation gives the worst case for a call.
package apispec

import (
	"bytes"
	"sync"
)

// rendered is the document, rendered from the table on first use.
var rendered = sync.OnceValue(render)

// Document returns the OpenAPI document as JSON, rendered from the
// operation table once per process. Each call returns a fresh copy, so
// callers may modify it.
func Document() []byte { return bytes.Clone(rendered()) }

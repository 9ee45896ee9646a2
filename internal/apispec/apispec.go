// Package apispec holds the OpenAPI 3.0.3 document of the TrendTrack Public
// API as tollgate's sandbox serves it at GET /v1/openapi.json.
//
// The document (openapi.json, embedded here) is written by hand and
// describes exactly the routes, parameters, request bodies and responses
// the sandbox implements, with every operation's credit cost in its
// description. Tests in this package check that it is valid OpenAPI 3;
// tests in package sandbox check that it and the sandbox agree route for
// route and parameter for parameter. Change both together.
package apispec

import (
	"bytes"
	_ "embed"
)

//go:embed openapi.json
var document []byte

// Document returns the OpenAPI document as JSON. Each call returns a fresh
// copy, so callers may modify it.
func Document() []byte { return bytes.Clone(document) }

package tools

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tollgate-mcp/tollgate/internal/openapi"
)

// A Problem is something of the OpenAPI document the catalogue left out
// or described more conservatively than the document would have it.
type Problem struct {
	// Operation is "METHOD /path" (or the path alone when a whole path
	// item could not be read).
	Operation   string
	OperationID string
	// Param names the parameter concerned; "" for the whole operation.
	Param string
	// Skipped reports that the operation is not offered at all.
	Skipped bool
	// Reason says what surprised the converter and what it did instead.
	Reason string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Operation)
	if p.OperationID != "" {
		fmt.Fprintf(&b, " (%s)", p.OperationID)
	}
	if p.Param != "" {
		fmt.Fprintf(&b, " parameter %s", p.Param)
	}
	if p.Skipped {
		b.WriteString(" not offered")
	}
	b.WriteString(": ")
	b.WriteString(p.Reason)
	return b.String()
}

func firstProblem(ps []Problem) string {
	if len(ps) == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d problems; first: %s)", len(ps), ps[0])
}

// loadDocument reads an OpenAPI 3 JSON document. A path item that does
// not load (a broken $ref, a malformed parameter) is reported as a
// problem of that path and left out: one bad operation does not cost the
// others.
func loadDocument(doc []byte) (*openapi.Document, []Problem, error) {
	spec, err := openapi.Load(doc)
	if err != nil {
		var oe *openapi.Error
		if !errors.As(err, &oe) {
			return nil, nil, fmt.Errorf("tools: parse OpenAPI document: %w", err)
		}
		switch oe.Kind {
		case openapi.NotOpenAPI3:
			return nil, nil, fmt.Errorf("tools: not an OpenAPI 3 document (openapi %q)", oe.Version)
		case openapi.NoInfo:
			return nil, nil, fmt.Errorf("tools: invalid OpenAPI document: %s", oe.Detail())
		case openapi.NoPaths:
			return nil, nil, errors.New("tools: the OpenAPI document has no paths")
		default:
			return nil, nil, fmt.Errorf("tools: parse OpenAPI document: %s", oe.Detail())
		}
	}
	var problems []Problem
	for _, p := range spec.Problems {
		problems = append(problems, Problem{Operation: p.Path, Skipped: true, Reason: "the path does not load: " + p.Err.Error()})
	}
	return spec, problems, nil
}

package mcpserver

import (
	"bytes"
	"encoding/json"

	"github.com/mark3labs/mcp-go/mcp"
)

// The tools/list answer is most of what a start writes: 184 KB for the
// default 25 tools, most of it their raw input and output schemas.
// encoding/json spends on it about twice what the bytes need: mcp-go's
// Tool.MarshalJSON compacts each raw schema into its map's encoding, and
// the outer Marshal compacts that encoding again, as it does any
// Marshaler's output. encodeMessage writes the same bytes with each tool
// encoded once (by Tool.MarshalJSON, so nothing about a tool's JSON is
// ours to keep in step) and spliced in. Nothing is kept between lists: a
// stdio session lists its tools about once, and the 184 KB would stay
// resident for the life of the server.

// marshalTool is t.MarshalJSON(), byte for byte, without the pass over
// the raw schemas that the map's encoding makes to compact and escape
// them, where they need neither (tools' schemas are json.Marshal's
// output, so they never do; the check is a plain loop over the bytes):
// the tool is encoded with a one-byte placeholder for each, which the
// schema then replaces.
func marshalTool(t *mcp.Tool) ([]byte, error) {
	in, out := t.RawInputSchema, t.RawOutputSchema
	if in == nil || out == nil || !compactJSON(in) || !compactJSON(out) {
		return t.MarshalJSON()
	}
	c := *t
	c.RawInputSchema, c.RawOutputSchema = json.RawMessage("0"), json.RawMessage("1")
	b, err := c.MarshalJSON()
	if err != nil {
		return nil, err
	}
	// The keys come sorted (_meta, annotations, ..., inputSchema, name,
	// outputSchema, title): only _meta, before them, could hold the same
	// bytes, so the last occurrence of each is the tool's own.
	const inKey, outKey = `"inputSchema":0`, `"outputSchema":1`
	i := bytes.LastIndex(b, []byte(inKey))
	j := bytes.LastIndex(b, []byte(outKey))
	if i < 0 || j < i {
		return t.MarshalJSON()
	}
	i += len(inKey) - 1
	j += len(outKey) - 1
	res := make([]byte, 0, len(b)+len(in)+len(out))
	res = append(res, b[:i]...)
	res = append(res, in...)
	res = append(res, b[i+1:j]...)
	res = append(res, out...)
	return append(res, b[j+1:]...), nil
}

// compactJSON reports whether encoding/json would write the JSON value
// raw as it is: no whitespace between tokens, and nothing in a string
// that it escapes for HTML (<, >, &, U+2028, U+2029). raw must be valid
// JSON; this does not check it.
func compactJSON(raw []byte) bool {
	inString := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			case '<', '>', '&':
				return false
			case 0xE2:
				if i+2 < len(raw) && raw[i+1] == 0x80 && (raw[i+2] == 0xA8 || raw[i+2] == 0xA9) {
					return false
				}
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case ' ', '\t', '\n', '\r':
			return false
		}
	}
	return !inString
}

// encodeMessage is json.Marshal(v), byte for byte, for a JSON-RPC message
// mcp-go answered.
func encodeMessage(v any) ([]byte, error) {
	resp, ok := v.(mcp.JSONRPCResponse)
	if !ok {
		return json.Marshal(v)
	}
	var list mcp.ListToolsResult
	switch r := resp.Result.(type) {
	case mcp.ListToolsResult: // what mcp-go answers
		list = r
	case *mcp.ListToolsResult:
		if r == nil {
			return json.Marshal(v)
		}
		list = *r
	default:
		return json.Marshal(v)
	}
	if len(list.Tools) == 0 {
		return json.Marshal(v)
	}
	// Tools is the last field of the result and the result the last of
	// the response, so the encoding with no tools ends in `[]}}`: the
	// tools go between those brackets.
	shell := list
	shell.Tools = []mcp.Tool{}
	resp.Result = shell
	head, err := json.Marshal(resp)
	if err != nil {
		return nil, err
	}
	const tail = "[]}}"
	if !bytes.HasSuffix(head, []byte(tail)) {
		return json.Marshal(v)
	}
	encs := make([][]byte, len(list.Tools))
	size := len(head) + len(list.Tools)
	for i := range list.Tools {
		if encs[i], err = marshalTool(&list.Tools[i]); err != nil {
			return nil, err
		}
		size += len(encs[i])
	}
	out := make([]byte, 0, size)
	out = append(out, head[:len(head)-len(tail)+1]...)
	for i, e := range encs {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, e...)
	}
	return append(out, "]}}"...), nil
}

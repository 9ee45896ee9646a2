// Package bare is the baseline of tollgate's MCP benchmarks: the least an
// mcp-go server can do to offer one TrendTrack call as a tool. Its one
// tool, search_ads, sends a plain net/http GET of /v1/ads with the call's
// search and limit, and returns the response body as it came, as a text
// content and as structuredContent. No budget, no validation, no retries,
// no shaping: what is left is mcp-go and the HTTP call, which is what
// tollgate's own figures are divided by.
//
// It imports only mcp-go and the standard library, so that the baseline
// binary (package baremcp) starts as fast and as small as such a server
// can.
package bare

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// ToolName is the name of the one tool, the same as tollgate's.
const ToolName = "search_ads"

// New returns the baseline server. upstream is the API's base URL (the
// sandbox), key the bearer key, and hc the client for the GETs (nil:
// http.DefaultClient).
func New(upstream, key string, hc *http.Client) *server.MCPServer {
	if hc == nil {
		hc = http.DefaultClient
	}
	srv := server.NewMCPServer("bare", "1", server.WithToolCapabilities(false))
	tool := mcp.NewTool(ToolName,
		mcp.WithDescription("Search Facebook ads (baseline: the API's body as it came)."),
		mcp.WithString("search", mcp.Required()),
		mcp.WithNumber("limit"),
	)
	srv.AddTool(tool, func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		q := url.Values{"search": {req.GetString("search", "")}}
		if n := req.GetInt("limit", 0); n > 0 {
			q.Set("limit", strconv.Itoa(n))
		}
		body, err := Get(ctx, hc, upstream+"/v1/ads?"+q.Encode(), key)
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		return &mcp.CallToolResult{
			Content:           []mcp.Content{mcp.NewTextContent(string(body))},
			StructuredContent: json.RawMessage(body),
		}, nil
	})
	return srv
}

// Get is the raw GET both baselines use: the request, the bearer header,
// the whole body read, nothing else.
func Get(ctx context.Context, hc *http.Client, u, key string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d: %.200s", u, resp.StatusCode, body)
	}
	return body, nil
}

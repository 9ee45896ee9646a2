package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tollgate-mcp/tollgate/mcpserver"
)

// TestServePipedStdinAnswersEveryCall pipes requests into the built binary
// and closes its stdin at once, as `printf '<initialize>\n<call>\n' |
// tollgate serve --sandbox` does: every paid call is answered with its
// result, not "canceled", before the process exits, in both protocol
// revisions.
func TestServePipedStdinAnswersEveryCall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := tollgateBinary(t)
	line := func(v map[string]any) string { b, _ := json.Marshal(v); return string(b) + "\n" }
	call := func(id int, meta map[string]any, name string, args map[string]any) string {
		params := map[string]any{"name": name, "arguments": args}
		if meta != nil {
			params["_meta"] = meta
		}
		return line(map[string]any{"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params})
	}
	page := func(n int) map[string]any { return map[string]any{"search": "coffee", "limit": 20, "page": n} }
	modern := map[string]any{mcp.MetaKeyProtocolVersion: mcp.ProtocolVersion20260728, mcp.MetaKeyClientCapabilities: map[string]any{}}
	for _, tc := range []struct {
		name  string
		input string
		calls []float64 // ids of the search_ads calls
	}{
		{"2025-11-25", line(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": map[string]any{
			"protocolVersion": mcp.ProtocolVersion20251125, "capabilities": map[string]any{},
			"clientInfo": map[string]any{"name": "printf", "version": "1"}}}) +
			line(map[string]any{"jsonrpc": "2.0", "method": "notifications/initialized"}) +
			call(2, nil, "search_ads", page(1)) + call(3, nil, "search_ads", page(2)) + call(4, nil, "get_budget", nil),
			[]float64{2, 3}},
		{"2026-07-28", call(1, modern, "search_ads", page(1)) + call(2, modern, "search_ads", page(2)) + call(3, modern, "get_budget", nil),
			[]float64{1, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "serve", "--sandbox", "--quiet", "--log-level", "warn")
			cmd.Env = append(os.Environ(), envAPIKey+"=")
			cmd.Stdin = strings.NewReader(tc.input)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("tollgate serve: %v\n%s", err, stderr.String())
			}
			answers := map[float64]map[string]any{}
			sc := bufio.NewScanner(&stdout)
			sc.Buffer(nil, 8<<20)
			for sc.Scan() {
				var m map[string]any
				if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
					t.Fatalf("stdout holds a line that is not JSON-RPC: %q", sc.Text())
				}
				if id, ok := m["id"].(float64); ok {
					answers[id] = m
				}
			}
			for _, id := range tc.calls {
				res, ok := answers[id]["result"].(map[string]any)
				if !ok {
					t.Fatalf("no result for call %v; stdout:\n%.2000s", id, stdout.String())
				}
				var body struct {
					Data  []any `json:"data"`
					Error *struct {
						Code string `json:"code"`
					} `json:"error"`
				}
				raw, _ := json.Marshal(res["structuredContent"])
				_ = json.Unmarshal(raw, &body)
				if res["isError"] == true || body.Error != nil || len(body.Data) != 20 {
					t.Errorf("call %v was not answered with its 20 rows: %.500s", id, raw)
				}
			}
			if tc.name == "2025-11-25" {
				// serverInfo names the build, as tollgate version does.
				out, err := exec.Command(bin, "version").Output()
				if err != nil {
					t.Fatal(err)
				}
				// Its first line is "tollgate VERSION[ (commit ...)]".
				first, _, _ := strings.Cut(string(out), "\n")
				want, _, _ := strings.Cut(strings.TrimSpace(strings.TrimPrefix(first, "tollgate ")), " ")
				info, _ := answers[1]["result"].(map[string]any)["serverInfo"].(map[string]any)
				if info["title"] != mcpserver.DefaultTitle || info["version"] != want || want == "" {
					t.Errorf("serverInfo = %v, want title %q and version %q", info, mcpserver.DefaultTitle, want)
				}
			}
		})
	}
}

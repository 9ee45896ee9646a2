package gateway_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tollgate-mcp/tollgate/gateway"
	"github.com/tollgate-mcp/tollgate/internal/testenv"
)

const httpToken = "s3cret"

// serveHTTP serves e's toolbox through a gateway and returns the URL of
// its /mcp endpoint.
func serveHTTP(t *testing.T, e *testenv.Env, cfg gateway.Config) string {
	t.Helper()
	_, url := serve(t, e, cfg)
	return url
}

func httpClient(t *testing.T, url string, headers map[string]string) *client.Client {
	t.Helper()
	cl, err := client.NewStreamableHttpClient(url, transport.WithHTTPHeaders(headers))
	if err != nil {
		t.Fatalf("NewStreamableHttpClient: %v", err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	if err := cl.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return cl
}

func initialize(ctx context.Context, cl *client.Client) error {
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: "tools-test", Version: "1"}
	_, err := cl.Initialize(ctx, init)
	return err
}

func TestHTTPServesMCPWithABearerToken(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{Load: true})
	url := serveHTTP(t, e, gateway.Config{Token: httpToken})
	ctx := context.Background()

	cl := httpClient(t, url, map[string]string{"Authorization": "Bearer " + httpToken})
	if err := initialize(ctx, cl); err != nil {
		t.Fatalf("Initialize with the token: %v", err)
	}
	list, err := cl.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("ListTools: %v", err)
	}
	if len(list.Tools) != e.Box.Catalogue().Len() {
		t.Errorf("tools/list over HTTP has %d tools, want %d", len(list.Tools), e.Box.Catalogue().Len())
	}
	res, sc := testenv.CallMCP(t, ctx, cl, "search_ads", map[string]any{"search": "coffee", "limit": 2}, nil)
	if res.IsError || len(testenv.Rows(t, sc)) != 2 {
		t.Fatalf("search_ads over HTTP: %s", testenv.MustJSON(sc))
	}
	testenv.CheckMetering(t, e, sc)
	res, sc = testenv.CallMCP(t, ctx, cl, "get_ad", map[string]any{"adId": "facebook_0"}, nil)
	testenv.WantAdvice(t, res, sc, "not_found", "api")
}

func TestHTTPRefusesAMissingOrWrongToken(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{})
	url := serveHTTP(t, e, gateway.Config{Token: httpToken})
	initBody := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

	cases := []struct {
		name, auth string
	}{
		{"no header", ""},
		{"wrong token", "Bearer nope"},
		{"token with another scheme", "Basic " + httpToken},
		{"token as a prefix", "Bearer " + httpToken + "x"},
		{"empty bearer", "Bearer "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(initBody))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("status %d, want 401: %s", resp.StatusCode, body)
			}
			if !strings.Contains(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", resp.Header.Get("WWW-Authenticate"))
			}
			if strings.Contains(string(body), httpToken) {
				t.Errorf("the 401 body leaks the token: %s", body)
			}
		})
	}
	t.Run("the scheme name is case-insensitive", func(t *testing.T) {
		t.Parallel()
		cl := httpClient(t, url, map[string]string{"Authorization": "bearer " + httpToken})
		if err := initialize(context.Background(), cl); err != nil {
			t.Errorf("Initialize with \"bearer <token>\": %v", err)
		}
	})
	t.Run("mcp-go client without the token", func(t *testing.T) {
		t.Parallel()
		cl := httpClient(t, url, nil)
		if err := initialize(context.Background(), cl); err == nil {
			t.Errorf("Initialize without the token succeeded")
		}
	})
	t.Run("mcp-go client with a wrong token", func(t *testing.T) {
		t.Parallel()
		cl := httpClient(t, url, map[string]string{"Authorization": "Bearer wrong"})
		if err := initialize(context.Background(), cl); err == nil {
			t.Errorf("Initialize with a wrong token succeeded")
		}
	})
}

func TestHTTPWithoutATokenIsOpen(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{})
	cl := httpClient(t, serveHTTP(t, e, gateway.Config{}), nil)
	if err := initialize(context.Background(), cl); err != nil {
		t.Fatalf("Initialize: %v", err)
	}
	if res, sc := testenv.CallMCP(t, context.Background(), cl, "get_me", nil, nil); res.IsError {
		t.Fatalf("get_me: %s", testenv.MustJSON(sc))
	}
}

func TestHTTPRejectsABodyOverMaxBodyBytes(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{})
	url := serveHTTP(t, e, gateway.Config{Token: httpToken, MaxBodyBytes: 2048})
	post := func(body []byte) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", "Bearer "+httpToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	small := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	if status, body := post([]byte(small)); status != http.StatusOK {
		t.Fatalf("a small initialize: status %d: %s", status, body)
	}
	big := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"` +
		strings.Repeat("x", 4096) + `","version":"1"}}}`
	status, body := post([]byte(big))
	if status != http.StatusBadRequest && status != http.StatusRequestEntityTooLarge {
		t.Errorf("a %d-byte body over MaxBodyBytes 2048: status %d, want 400 or 413: %s", len(big), status, body)
	}
	if !strings.Contains(body, "too large") {
		t.Errorf("the refusal does not say the body is too large: %s", body)
	}
}

// TestHTTPKeepsDNSRebindingProtection checks that a request reaching the
// loopback listener under a foreign Host name is refused, token or not.
func TestHTTPKeepsDNSRebindingProtection(t *testing.T) {
	t.Parallel()
	e := testenv.New(t, testenv.Config{})
	url := serveHTTP(t, e, gateway.Config{Token: httpToken})
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	req.Host = "attacker.example"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+httpToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a request with Host attacker.example: status %d, want 403", resp.StatusCode)
	}
}

func TestCheckHTTPExposure(t *testing.T) {
	t.Parallel()
	cases := []struct {
		addr, token string
		ok          bool
	}{
		{"0.0.0.0:8080", "", false},
		{":8080", "", false},
		{"192.168.1.5:8080", "", false},
		{"[::]:8080", "", false},
		{"0.0.0.0:8080", "s3cret", true},
		{"127.0.0.1:8080", "", true},
		{"localhost:8080", "", true},
		{"[::1]:8080", "", true},
		{"127.0.0.1", "", false}, // no port
	}
	for _, tc := range cases {
		err := gateway.CheckHTTPExposure(tc.addr, tc.token != "")
		if (err == nil) != tc.ok {
			t.Errorf("CheckHTTPExposure(%q, %q) = %v, want ok=%v", tc.addr, tc.token, err, tc.ok)
		}
		if err != nil && tc.addr == "0.0.0.0:8080" && !strings.Contains(err.Error(), "token") {
			t.Errorf("the refusal %q does not say to set a token", err)
		}
	}
}

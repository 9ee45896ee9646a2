package main

import (
	"log/slog"
	"net/http"

	"github.com/mark3labs/mcp-go/server"

	"github.com/tollgate-mcp/tollgate/tools"
)

// This file is the one place the CLI names the package of the MCP face
// (the server, its HTTP handler and its listener rules), so that moving
// that face to its own package is an edit here only.

// mcpMode is static (one MCP tool per operation) or dynamic.
type mcpMode = tools.Mode

const (
	modeStatic  = tools.ModeStatic
	modeDynamic = tools.ModeDynamic
)

// newMCPServer builds the MCP server over box.
func newMCPServer(box *tools.Toolbox, m mcpMode, log *slog.Logger) *server.MCPServer {
	return tools.NewMCPServer(box, tools.ServerOptions{Version: version(), Mode: m, Logger: log})
}

// mcpHTTPHandler serves srv as Streamable HTTP at /mcp, with token
// checked when set.
func mcpHTTPHandler(srv *server.MCPServer, token string, log *slog.Logger) http.Handler {
	return tools.HTTPHandler(srv, tools.HTTPOptions{Token: token, Logger: log})
}

// listenAddr completes an --http address (a bare port binds loopback).
func listenAddr(addr string) (string, error) { return tools.ListenAddr(addr) }

// checkHTTPExposure refuses a non-loopback address without a token.
func checkHTTPExposure(addr, token string) error { return tools.CheckHTTPExposure(addr, token) }

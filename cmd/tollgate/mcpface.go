package main

import (
	"log/slog"
	"net/http"

	"github.com/mark3labs/mcp-go/server"

	"github.com/tollgate-mcp/tollgate/gateway"
	"github.com/tollgate-mcp/tollgate/mcpserver"
	"github.com/tollgate-mcp/tollgate/tools"
)

// This file is where the CLI builds the MCP face (package mcpserver) and
// its HTTP transport (package gateway) from the command's options.

// mcpMode is static (one MCP tool per operation) or dynamic.
type mcpMode = mcpserver.Mode

const (
	modeStatic  = mcpserver.ModeStatic
	modeDynamic = mcpserver.ModeDynamic
)

// newMCPServer builds the MCP server over box; calls whose worst case
// exceeds confirmAbove credits ask the user first (0: never ask).
func newMCPServer(box *tools.Toolbox, m mcpMode, confirmAbove int64, log *slog.Logger) *server.MCPServer {
	return mcpserver.New(box, mcpserver.Options{Version: version(), Mode: m, ConfirmAbove: confirmAbove, Logger: log})
}

// mcpHTTPHandler serves srv as Streamable HTTP at /mcp, with token
// checked when set.
func mcpHTTPHandler(srv *server.MCPServer, token string, log *slog.Logger) http.Handler {
	return gateway.Handler(srv, gateway.Options{Token: token, Logger: log})
}

// listenAddr completes an --http address (a bare port binds loopback).
func listenAddr(addr string) (string, error) { return gateway.ListenAddr(addr) }

// checkHTTPExposure refuses a non-loopback address without a token.
func checkHTTPExposure(addr, token string) error { return gateway.CheckHTTPExposure(addr, token) }

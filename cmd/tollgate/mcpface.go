package main

import (
	"log/slog"

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
	return mcpserver.New(box, mcpOptions(m, confirmAbove, log))
}

// mcpOptions are the MCP server's options; the gateway builds its own
// server from them.
func mcpOptions(m mcpMode, confirmAbove int64, log *slog.Logger) mcpserver.Options {
	return mcpserver.Options{Version: version(), Mode: m, ConfirmAbove: confirmAbove, Logger: log}
}

// listenAddr completes an --http address (a bare port binds loopback).
func listenAddr(addr string) (string, error) { return gateway.ListenAddr(addr) }

// checkHTTPExposure refuses a non-loopback address without tokens.
func checkHTTPExposure(addr string, authenticated bool) error {
	return gateway.CheckHTTPExposure(addr, authenticated)
}

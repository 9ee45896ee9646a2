module github.com/tollgate-mcp/tollgate

go 1.26.8

require (
	github.com/mark3labs/mcp-go v1.2.1 // indirect
	github.com/sashabaranov/go-openai v1.43.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)

package agent

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	openai "github.com/sashabaranov/go-openai"
)

// Environment variables read by ClientFromEnv.
const (
	// EnvAPIKey is the endpoint's API key, sent as a bearer token.
	EnvAPIKey = "OPENAI_API_KEY"
	// EnvBaseURL is the base URL of an OpenAI-compatible endpoint,
	// including its version path, e.g. http://localhost:11434/v1. Unset
	// means OpenAI's own API.
	EnvBaseURL = "OPENAI_BASE_URL"
)

// ClientFromEnv returns a go-openai client for the endpoint named by the
// environment: OPENAI_API_KEY and, for any OpenAI-compatible endpoint
// other than OpenAI's (a local server, a gateway), OPENAI_BASE_URL. The
// key may be empty when a base URL is set, for local servers that need
// none. It fails when neither is set or the base URL is not an http(s)
// URL.
func ClientFromEnv() (*openai.Client, error) {
	key := strings.TrimSpace(os.Getenv(EnvAPIKey))
	base := strings.TrimSpace(os.Getenv(EnvBaseURL))
	if key == "" && base == "" {
		return nil, fmt.Errorf("agent: no chat endpoint configured: set %s (and %s for an OpenAI-compatible endpoint other than OpenAI's)", EnvAPIKey, EnvBaseURL)
	}
	cfg := openai.DefaultConfig(key)
	if base != "" {
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("agent: %s is %q: want an http(s) URL such as http://localhost:11434/v1", EnvBaseURL, base)
		}
		cfg.BaseURL = strings.TrimRight(base, "/")
	}
	return openai.NewClientWithConfig(cfg), nil
}

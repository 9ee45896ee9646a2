package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The MCP registry's server.json schema, vendored in testdata (see
// testdata/README.md for its source).
const (
	registrySchemaURL    = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
	registrySchemaSHA256 = "3fba09590c99f61735d234822279f4223fab9e300c0a81e81c91ab62a4114de0"
)

func registrySchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "server.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != registrySchemaSHA256 {
		t.Fatalf("testdata/server.schema.json is not the published schema (sha256 %x)", sum)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(registrySchemaURL, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(registrySchemaURL)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func validateServerJSON(sch *jsonschema.Schema, raw []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// serverJSON is the part of server.json the consistency checks read.
type serverJSON struct {
	Schema   string `json:"$schema"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	Packages []struct {
		RegistryType string `json:"registryType"`
		Identifier   string `json:"identifier"`
		Transport    struct {
			Type string `json:"type"`
		} `json:"transport"`
		PackageArguments []struct {
			Type, Name, Value, Default string
		} `json:"packageArguments"`
		EnvironmentVariables []struct {
			Name     string `json:"name"`
			IsSecret bool   `json:"isSecret"`
		} `json:"environmentVariables"`
	} `json:"packages"`
}

func TestServerJSON(t *testing.T) {
	sch := registrySchema(t)
	raw, err := os.ReadFile(filepath.Join("..", "..", "server.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := validateServerJSON(sch, raw); err != nil {
		t.Fatalf("server.json does not match the registry's schema:\n%v", err)
	}

	// The schema is not the only thing server.json must agree with: the
	// flags, variables, image and version it names must be tollgate's.
	var s serverJSON
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if s.Schema != registrySchemaURL {
		t.Errorf("$schema = %q, want %q (the schema the test checks against)", s.Schema, registrySchemaURL)
	}
	if len(s.Packages) != 1 {
		t.Fatalf("%d packages, want the one OCI image", len(s.Packages))
	}
	p := s.Packages[0]
	if p.RegistryType != "oci" || p.Transport.Type != "stdio" || p.Identifier != "ghcr.io/tollgate-mcp/tollgate:"+s.Version {
		t.Errorf("package %s %s over %s, want ghcr.io/tollgate-mcp/tollgate:%s over stdio", p.RegistryType, p.Identifier, p.Transport.Type, s.Version)
	}
	c, _, _ := testCLI(nil)
	serve := newServeCmd(c)
	for _, a := range p.PackageArguments {
		switch a.Type {
		case "positional":
			if a.Value != "serve" {
				t.Errorf("positional argument %q: tollgate's command is serve", a.Value)
			}
		case "named":
			f := serve.Flags().Lookup(strings.TrimPrefix(a.Name, "--"))
			if f == nil {
				t.Errorf("%s is not a flag of tollgate serve", a.Name)
				continue
			}
			if a.Default != "" {
				if err := f.Value.Set(a.Default); err != nil {
					t.Errorf("%s's default %q is refused by the flag: %v", a.Name, a.Default, err)
				}
			}
		}
	}
	vars := map[string]bool{}
	for _, v := range p.EnvironmentVariables {
		vars[v.Name] = true
		if v.Name == envAPIKey && !v.IsSecret {
			t.Errorf("%s must be marked isSecret", envAPIKey)
		}
	}
	if !vars[envAPIKey] || !vars[envBaseURL] {
		t.Errorf("environment variables %v, want %s and %s", vars, envAPIKey, envBaseURL)
	}

	// The image's registry label and the release config name the same
	// server and image.
	dockerfile, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`io\.modelcontextprotocol\.server\.name="([^"]+)"`).FindSubmatch(dockerfile); m == nil || string(m[1]) != s.Name {
		t.Errorf("Dockerfile's io.modelcontextprotocol.server.name label is %q, want %q", m, s.Name)
	}
	release, err := os.ReadFile(filepath.Join("..", "..", ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if image := strings.SplitN(p.Identifier, ":", 2)[0]; !strings.Contains(string(release), "- "+image+"\n") {
		t.Errorf(".goreleaser.yaml does not build the image %s", image)
	}
}

// TestServerJSONSchemaRejectsWhatTheRegistryWould proves the validation
// can fail: entries the registry refuses do not pass.
func TestServerJSONSchemaRejectsWhatTheRegistryWould(t *testing.T) {
	sch := registrySchema(t)
	for name, doc := range map[string]string{
		"no slash in the name":   `{"name": "tollgate", "description": "x", "version": "1.0.0"}`,
		"description too long":   `{"name": "io.github.a/b", "description": "` + strings.Repeat("x", 101) + `", "version": "1.0.0"}`,
		"no version":             `{"name": "io.github.a/b", "description": "x"}`,
		"package version latest": `{"name": "io.github.a/b", "description": "x", "version": "1.0.0", "packages": [{"registryType": "npm", "identifier": "x", "version": "latest", "transport": {"type": "stdio"}}]}`,
		"remote without a URL":   `{"name": "io.github.a/b", "description": "x", "version": "1.0.0", "remotes": [{"type": "streamable-http"}]}`,
	} {
		if err := validateServerJSON(sch, []byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

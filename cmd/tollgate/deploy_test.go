package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"

	"github.com/tollgate-mcp/tollgate/gateway"
)

// TestDeployExamplesMatchTheCommand keeps deploy/ honest where no Docker
// engine can run it: every command of the compose file is one tollgate
// accepts, and the example clients file parses.
func TestDeployExamplesMatchTheCommand(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Command     []string          `yaml:"command"`
			Environment map[string]string `yaml:"environment"`
			Image       string            `yaml:"image"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &compose); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	n := 0
	for name, s := range compose.Services {
		if s.Image != "tollgate:local" {
			continue
		}
		n++
		if len(s.Command) == 0 {
			t.Fatalf("%s has no command", name)
		}
		c, _, errb := testCLI(nil)
		// -h after the flags: they are all parsed, then help ends the run.
		if code := run(context.Background(), c, append(s.Command, "-h")); code != exitOK {
			t.Errorf("%s: %q is refused (exit %d): %s", name, s.Command, code, errb)
		}
		for k := range s.Environment {
			if !strings.HasPrefix(k, "TRENDTRACK_") && !strings.HasPrefix(k, "TOLLGATE_") {
				t.Errorf("%s sets %s, which tollgate does not read", name, k)
			}
		}
	}
	if n != 3 {
		t.Errorf("%d tollgate services in compose.yaml, want 2 instances and the sandbox", n)
	}
	b, err := os.ReadFile("../../deploy/clients.example.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gateway.ParseClients(b); err != nil {
		t.Errorf("clients.example.json: %v", err)
	}
}

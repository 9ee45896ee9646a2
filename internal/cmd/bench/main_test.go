package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestBadFlagsAreUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-sessions", "1,x"},
		{"-batch-lines", "0"},
		{"-only", "speed"},
		{"-rounds", "0"},
		{"-calls", "-3"},
		{"-no-such-flag"},
		{"extra"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), "bench: ") {
			t.Errorf("%q: exit %d, stderr %q; want %d and a message", args, code, stderr.String(), exitUsage)
		}
		if stdout.Len() > 0 {
			t.Errorf("%q: wrote %q on stdout", args, stdout.String())
		}
	}
}

func TestFlagsReachTheConfig(t *testing.T) {
	var stderr bytes.Buffer
	cfg, profile, err := parse([]string{"-only", "cpu, rss", "-rounds", "4", "-sessions", "2,8", "-cpuprofile", "x.out"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.Only, ",") != "cpu,rss" || cfg.Rounds != 4 || len(cfg.Sessions) != 2 || cfg.Sessions[1] != 8 || profile != "x.out" {
		t.Errorf("cfg %+v, profile %q", cfg, profile)
	}
	cfg, _, err = parse([]string{"-quick"}, &stderr)
	if err != nil || cfg.Rounds != 3 || len(cfg.BatchLines) != 2 {
		t.Errorf("-quick: cfg %+v, err %v", cfg, err)
	}
}

func TestHelpIsNotAFailure(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-h"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "-only") {
		t.Errorf("-h: exit %d, stderr %q", code, stderr.String())
	}
}

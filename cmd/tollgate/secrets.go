package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// Secrets from files, the Docker and Kubernetes secrets convention: a
// variable NAME may be given as NAME_FILE, the path of a file holding
// the value (a mounted secret), so the value need not sit in the
// environment, where `docker inspect` and /proc/PID/environ show it.

// fileSuffix turns a variable's name into that of its file variant.
const fileSuffix = "_FILE"

// secretFromEnv returns $name as it is, else the content of the file
// named by $name_FILE without the whitespace around it (the line break
// a file ends with), else "". It warns when that file is readable by
// every user. Messages name the variable and the file, never the value.
func secretFromEnv(getenv func(string) string, name string, log *slog.Logger) (string, error) {
	if v := getenv(name); strings.TrimSpace(v) != "" {
		return v, nil
	}
	path := strings.TrimSpace(getenv(name + fileSuffix))
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", usageErrorf("%s%s: %v", name, fileSuffix, err)
	}
	warnIfReadableByOthers(log, path, name+fileSuffix)
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", usageErrorf("%s%s: the file %s is empty", name, fileSuffix, path)
	}
	return v, nil
}

// warnIfReadableByOthers warns when a file holding secrets can be read
// by every user of the machine.
func warnIfReadableByOthers(log *slog.Logger, path, what string) {
	fi, err := os.Stat(path)
	if err != nil || log == nil {
		return
	}
	if fi.Mode().Perm()&0o004 != 0 {
		log.Warn(fmt.Sprintf("%s is readable by every user of this machine: chmod o-r %s (or 0400), or mount the secret with a restrictive mode", what, path),
			"file", path, "mode", fmt.Sprintf("%04o", fi.Mode().Perm()))
	}
}

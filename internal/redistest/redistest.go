// Package redistest gives tests a Redis to talk to: the one named by
// $TOLLGATE_TEST_REDIS_URL, or a redis-server of the test's own on a free
// loopback port, without persistence, stopped when the test ends. Without
// either the test is skipped (.ci/run installs redis-server).
package redistest

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// EnvURL names a Redis the tests may use instead of starting their own.
const EnvURL = "TOLLGATE_TEST_REDIS_URL"

// URL returns a redis:// URL for t, or skips t.
func URL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skipf("no Redis to test against: redis-server is not installed (.ci/run installs it) and %s is not set", EnvURL)
	}
	dir := t.TempDir()
	logFile := filepath.Join(dir, "redis.log")
	for try := 1; ; try++ {
		addr := FreeAddr(t)
		_, port, _ := net.SplitHostPort(addr)
		cmd := exec.Command(path, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--dir", dir, "--logfile", logFile)
		if err := cmd.Start(); err != nil {
			t.Fatalf("start redis-server: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		if ready(addr, exited) {
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				<-exited
			})
			return "redis://" + addr
		}
		_ = cmd.Process.Kill()
		<-exited
		if try == 3 {
			log, _ := os.ReadFile(logFile)
			t.Fatalf("redis-server did not start on %s:\n%s", addr, log)
		}
	}
}

// FreeAddr returns a loopback address nobody listens on now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// ready waits up to 10 s for addr to answer PING, false if the server
// exited first.
func ready(addr string, exited <-chan struct{}) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		select {
		case <-exited:
			return false
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			continue
		}
		_ = c.SetDeadline(time.Now().Add(time.Second))
		_, _ = c.Write([]byte("PING\r\n"))
		line, _ := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if strings.HasPrefix(line, "+PONG") {
			return true
		}
	}
	return false
}

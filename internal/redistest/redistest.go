// Package redistest gives tests a Redis to talk to: the one named by
// $TOLLGATE_TEST_REDIS_URL, or a redis-server of the test's own on a free
// loopback port, without persistence, stopped when the test ends. Without
// either the test is skipped (.ci/run installs redis-server).
//
// A Server of the test's own can also be made to fail the ways a real
// one does: killed (kill -9), restarted empty or from its last snapshot,
// paused (SIGSTOP) and resumed, or not started yet.
package redistest

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
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
	return Start(t).URL()
}

// Server is a redis-server of one test, on a loopback address of its own
// that stays the same across restarts.
type Server struct {
	t    testing.TB
	path string
	dir  string
	addr string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// Start starts a redis-server for t, or skips t when redis-server is not
// installed. It is killed when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := Absent(t)
	s.Start()
	return s
}

// Absent returns a Server for t that is not running yet: its address is
// free until Start. It skips t when redis-server is not installed.
func Absent(t testing.TB) *Server {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skipf("no Redis to test against: redis-server is not installed (.ci/run installs it)")
	}
	s := &Server{t: t, path: path, dir: t.TempDir(), addr: FreeAddr(t)}
	t.Cleanup(s.kill)
	return s
}

// URL is the server's redis:// URL.
func (s *Server) URL() string { return "redis://" + s.addr }

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// Start starts the server on its address, loading its last snapshot if
// Save made one, and waits until it answers PING.
func (s *Server) Start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		s.t.Fatal("redistest: Start of a running server")
	}
	logFile := filepath.Join(s.dir, "redis.log")
	_, port, _ := net.SplitHostPort(s.addr)
	for try := 1; ; try++ {
		cmd := exec.Command(s.path, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--dir", s.dir, "--dbfilename", "dump.rdb", "--logfile", logFile)
		if err := cmd.Start(); err != nil {
			s.t.Fatalf("start redis-server: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		if ready(s.addr, exited) {
			s.cmd, s.exited = cmd, exited
			return
		}
		_ = cmd.Process.Kill()
		<-exited
		if try == 3 {
			log, _ := os.ReadFile(logFile)
			s.t.Fatalf("redis-server did not start on %s:\n%s", s.addr, log)
		}
		time.Sleep(50 * time.Millisecond) // the port may still be held by the last one
	}
}

// Kill kills the server with SIGKILL, as a crash would. Without
// persistence, its data is gone.
func (s *Server) Kill() {
	s.t.Helper()
	s.kill()
}

func (s *Server) kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
	s.cmd, s.exited = nil, nil
}

// RestartEmpty kills the server and starts it again without any data,
// as a Redis without persistence comes back after a crash.
func (s *Server) RestartEmpty() {
	s.t.Helper()
	s.Kill()
	if err := os.Remove(filepath.Join(s.dir, "dump.rdb")); err != nil && !os.IsNotExist(err) {
		s.t.Fatal(err)
	}
	s.Start()
}

// Save makes a snapshot (SAVE): a later Crash comes back to it.
func (s *Server) Save() {
	s.t.Helper()
	if line := s.command("SAVE"); !strings.HasPrefix(line, "+OK") {
		s.t.Fatalf("redistest: SAVE answered %q", line)
	}
}

// Crash kills the server and starts it again from its last snapshot, as
// a Redis with RDB snapshots comes back after a crash: whatever was
// written since the snapshot is gone.
func (s *Server) Crash() {
	s.t.Helper()
	s.Kill()
	s.Start()
}

// Pause stops the server with SIGSTOP: connections stay open and
// nothing answers.
func (s *Server) Pause() {
	s.t.Helper()
	s.signal(syscall.SIGSTOP)
}

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() {
	s.t.Helper()
	s.signal(syscall.SIGCONT)
}

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		s.t.Fatal("redistest: signal to a server that is not running")
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatal(err)
	}
}

// command sends one inline command and returns the first line of the answer.
func (s *Server) command(cmd string) string {
	c, err := net.DialTimeout("tcp", s.addr, time.Second)
	if err != nil {
		s.t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(cmd + "\r\n")); err != nil {
		s.t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		s.t.Fatal(err)
	}
	return line
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
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		select {
		case <-exited:
			return false
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		_ = c.SetDeadline(time.Now().Add(time.Second))
		_, _ = c.Write([]byte("PING\r\n"))
		line, _ := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if strings.HasPrefix(line, "+PONG") {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rosterhq/roster/agent/agenttest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// rosterBinary builds the roster binary once per test run.
func rosterBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "roster-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "roster")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// startAgentProcess runs `roster agent` as a child process and waits for
// its API.
func startAgentProcess(t *testing.T, args ...string) (httpAddr string, cmd *exec.Cmd) {
	t.Helper()
	httpAddr = fmt.Sprintf("127.0.0.1:%d", agenttest.FreePort(t))
	all := append([]string{"agent", "--node", "n1", "--data-dir", t.TempDir(), "--http-addr", httpAddr,
		"--raft-port", strconv.Itoa(agenttest.FreePort(t)), "--dns-addr", fmt.Sprintf("127.0.0.1:%d", agenttest.FreePort(t)),
		"--log-level", "warn"}, args...)
	cmd = exec.Command(rosterBinary(t), all...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + httpAddr + "/v1/status/leader")
		if err == nil {
			var b [64]byte
			n, _ := resp.Body.Read(b[:])
			resp.Body.Close()
			if strings.Contains(string(b[:n]), ":") {
				return httpAddr, cmd
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("agent process did not come up")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func rssKiB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			n, _ := strconv.Atoi(strings.Fields(line)[1])
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestTenThousandBlockingWatchers parks 10,000 blocking queries on one key
// of a real agent process, checks an unrelated write wakes none of them and
// a write to the key wakes all, and reports the agent's memory per watcher.
func TestTenThousandBlockingWatchers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent process and 10,000 connections")
	}
	const watchers = 10000
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	if lim.Cur < watchers+1000 {
		lim.Cur = max(lim.Max, watchers+1000)
		lim.Max = lim.Cur
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			t.Skipf("cannot raise the open-file limit to %d: %v", lim.Cur, err)
		}
	}
	addr, cmd := startAgentProcess(t, "--http-max-conns-per-client", "0")
	put := func(key, val string) {
		t.Helper()
		req, _ := http.NewRequest("PUT", "http://"+addr+"/v1/kv/"+key, strings.NewReader(val))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("put %s: %v %v", key, resp, err)
		}
		resp.Body.Close()
	}
	put("watched", "v0")
	put("other", "x")
	resp, err := http.Get("http://" + addr + "/v1/kv/watched")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	index := resp.Header.Get("X-Consul-Index")
	time.Sleep(500 * time.Millisecond)
	before := rssKiB(t, cmd.Process.Pid)

	conns := make([]net.Conn, 0, watchers)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	request := "GET /v1/kv/watched?index=" + index + "&wait=5m HTTP/1.1\r\nHost: roster\r\n\r\n"
	for i := 0; i < watchers; i++ {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			t.Fatalf("watcher %d: %v", i, err)
		}
		conns = append(conns, c)
		if _, err := c.Write([]byte(request)); err != nil {
			t.Fatalf("watcher %d: %v", i, err)
		}
	}
	time.Sleep(2 * time.Second) // let the agent read every request and park
	parked := rssKiB(t, cmd.Process.Pid)

	// A write to another key wakes nobody: no watcher has bytes to read.
	put("other", "y")
	for _, i := range []int{0, watchers / 2, watchers - 1} {
		conns[i].SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		var b [1]byte
		if n, _ := conns[i].Read(b[:]); n > 0 {
			t.Fatalf("watcher %d woke for an unrelated write", i)
		}
	}
	// A write to the watched key wakes every one, with the new value.
	start := time.Now()
	put("watched", "v1")
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("watcher %d: %v", i, err)
		}
		newIndex := resp.Header.Get("X-Consul-Index")
		resp.Body.Close()
		if resp.StatusCode != 200 || newIndex == index {
			t.Fatalf("watcher %d: status %d index %s", i, resp.StatusCode, newIndex)
		}
	}
	allWoken := time.Since(start)
	perWatcher := float64(parked-before) / watchers
	t.Logf("%d watchers: agent RSS %d MiB -> %d MiB parked (%.1f KiB per watcher); all woken and answered in %s",
		watchers, before/1024, parked/1024, perWatcher, allWoken.Round(time.Millisecond))
	if perWatcher > 64 {
		t.Fatalf("%.1f KiB per parked watcher; want at most 64", perWatcher)
	}
}

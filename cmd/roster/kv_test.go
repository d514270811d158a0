package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/agent/agenttest"
)

func TestKVCommands(t *testing.T) {
	a := agenttest.Start(t, agenttest.Config(t, "n1", t.TempDir()))
	addr := "--http-addr=" + a.HTTPAddr()
	ok := func(stdin string, args ...string) string {
		t.Helper()
		code, out, errOut := runCLI(t, stdin, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		return out
	}

	ok("", "kv", "put", addr, "config/db/url", "postgres://db:5432/app")
	if out := ok("", "kv", "get", addr, "config/db/url"); out != "postgres://db:5432/app\n" {
		t.Fatalf("get = %q", out)
	}
	file := filepath.Join(t.TempDir(), "v")
	os.WriteFile(file, []byte("from a file"), 0o600)
	ok("", "kv", "put", addr, "config/db/file", "@"+file)
	ok("from stdin", "kv", "put", addr, "--flags", "7", "config/web/port", "-")
	if out := ok("", "kv", "get", addr, "--detailed", "config/web/port"); !strings.Contains(out, "from stdin") || !strings.Contains(out, "Flags        7") {
		t.Fatalf("detailed = %q", out)
	}
	if out := ok("", "kv", "get", addr, "--keys", "config/"); out != "config/db/\nconfig/web/\n" {
		t.Fatalf("keys = %q", out)
	}
	if out := ok("", "kv", "get", addr, "--recurse", "config/db"); out != "config/db/file:from a file\nconfig/db/url:postgres://db:5432/app\n" {
		t.Fatalf("recurse = %q", out)
	}
	if out := ok("", "kv", "list", addr, "config/"); !strings.Contains(out, "KEY") || strings.Count(out, "\n") != 4 {
		t.Fatalf("list = %q", out)
	}
	var entry kvEntryOut
	if err := json.Unmarshal([]byte(ok("", "kv", "get", addr, "--format", "json", "config/web/port")), &entry); err != nil || entry.Flags != 7 || entry.Value != "from stdin" {
		t.Fatalf("json get = %+v %v", entry, err)
	}

	// CAS: a stale index is a conflict with its own exit code.
	if code, _, errOut := runCLI(t, "", "kv", "put", addr, "--cas", "1", "config/db/url", "x"); code != exitCASConflict || !strings.Contains(errOut, "check-and-set failed") {
		t.Fatalf("stale cas: %d %q", code, errOut)
	}
	if code, _, _ := runCLI(t, "", "kv", "put", addr, "--cas", "0", "config/db/url", "x"); code != exitCASConflict {
		t.Fatalf("create-only cas on existing key: %d", code)
	}
	ok("", "kv", "put", addr, "--cas", itoa(entry.ModifyIndex), "config/web/port", "8080")
	if code, _, _ := runCLI(t, "", "kv", "delete", addr, "--cas", itoa(entry.ModifyIndex), "config/web/port"); code != exitCASConflict {
		t.Fatalf("stale delete-cas: %d", code)
	}

	// Export → delete → import round trip.
	exported := ok("", "kv", "export", addr, "config/")
	var entries []exportEntry
	if err := json.Unmarshal([]byte(exported), &entries); err != nil || len(entries) != 3 {
		t.Fatalf("export = %s (%v)", exported, err)
	}
	ok("", "kv", "delete", addr, "--recurse", "config/")
	if code, _, errOut := runCLI(t, "", "kv", "get", addr, "config/db/url"); code != exitNotFound || !strings.Contains(errOut, "not found") {
		t.Fatalf("get after delete: %d %q", code, errOut)
	}
	if out := ok(exported, "kv", "import", addr, "-"); out != "Imported: 3\n" {
		t.Fatalf("import = %q", out)
	}
	if again := ok("", "kv", "export", addr, "config/"); again != exported {
		t.Fatalf("round trip changed the data:\n%s\n---\n%s", exported, again)
	}

	for _, tc := range []struct {
		stdin string
		args  []string
		code  int
		msg   string
	}{
		{"", []string{"kv", "get", addr, "nope"}, exitNotFound, `key "nope" not found`},
		{"", []string{"kv", "get", "--http-addr=127.0.0.1:1", "k"}, exitUnreachable, "cannot reach the agent"},
		{"", []string{"kv", "put", addr}, exitUsage, "argument"},
		{"", []string{"kv", "put", addr, "k", "v", "extra"}, exitUsage, "argument"},
		{"", []string{"kv", "put", addr, "--cas", "x", "k", "v"}, exitUsage, "--cas"},
		{"", []string{"kv", "put", addr, "k", "@/nonexistent"}, exitError, "no such file"},
		{"not json", []string{"kv", "import", addr, "-"}, exitUsage, "not a JSON array"},
		{`[{"key":"a","value":"!!"}]`, []string{"kv", "import", addr, "-"}, exitUsage, "not base64"},
		{"", []string{"kv", "get", addr, "--stale", "--consistent", "k"}, exitUsage, "cannot be combined"},
		{"", []string{"kv", "delete", addr, "--recurse", "--cas", "1", "k"}, exitUsage, "cannot be combined"},
	} {
		code, _, errOut := runCLI(t, tc.stdin, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d (want %d), stderr %q", tc.args, code, tc.code, errOut)
		}
	}
	if _, e := a.Store().KVGet(nil, "a"); e != nil {
		t.Fatal("a failed import wrote a key")
	}
}

func itoa(u uint64) string { return strconv.FormatUint(u, 10) }

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestKVWatchPrintsEachChange(t *testing.T) {
	a := agenttest.Start(t, agenttest.Config(t, "n1", t.TempDir()))
	addr := "--http-addr=" + a.HTTPAddr()
	runCLI(t, "", "kv", "put", addr, "config/a", "1")

	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int)
	go func() {
		done <- runContext(ctx, []string{"roster", "kv", "watch", addr, "--prefix", "config/"}, strings.NewReader(""), &out, &errOut)
	}()
	waitFor(t, func() bool { return strings.Contains(out.String(), "set config/a 1") })
	runCLI(t, "", "kv", "put", addr, "config/b", "2")
	waitFor(t, func() bool { return strings.Contains(out.String(), "set config/b 2") })
	runCLI(t, "", "kv", "put", addr, "other/x", "unrelated")
	runCLI(t, "", "kv", "put", addr, "config/a", "3")
	waitFor(t, func() bool { return strings.Contains(out.String(), "set config/a 3") })
	runCLI(t, "", "kv", "delete", addr, "config/b")
	waitFor(t, func() bool { return strings.Contains(out.String(), "delete config/b") })
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("watch exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || strings.Contains(out.String(), "other/x") {
		t.Fatalf("watch printed:\n%s", out.String())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rosterhq/roster/agent/agenttest"
)

// runCLI runs the roster command in-process and returns its exit code and
// output.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(append([]string{"roster"}, args...), strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestServicesCommands(t *testing.T) {
	a := agenttest.Start(t, agenttest.Config(t, "n1", t.TempDir()))
	addr := "--http-addr=" + a.HTTPAddr()
	file := filepath.Join(t.TempDir(), "web.json")
	os.WriteFile(file, []byte(`{"Name":"web","ID":"web-1","Address":"10.0.0.1","Port":8080,"Tags":["v1"]}`), 0o600)

	if code, out, errOut := runCLI(t, "", "services", "register", addr, file); code != 0 || !strings.Contains(out, "registered web-1") {
		t.Fatalf("register: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, `{"Name":"db","Port":5432}`, "services", "register", addr, "-"); code != 0 {
		t.Fatalf("register from stdin: %d %q", code, errOut)
	}
	code, out, _ := runCLI(t, "", "services", addr)
	if code != 0 || !strings.Contains(out, "SERVICE") || !strings.Contains(out, "web-1") || !strings.Contains(out, "10.0.0.1") {
		t.Fatalf("list: %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", "services", addr, "--format", "json")
	var rows []instanceRow
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 2 || rows[1].ID != "web-1" || rows[1].Health != "passing" {
		t.Fatalf("list json: %d %s", code, out)
	}
	if code, out, _ := runCLI(t, "", "services", "deregister", addr, "web-1"); code != 0 || !strings.Contains(out, "deregistered web-1") {
		t.Fatalf("deregister: %d %q", code, out)
	}

	// Failures: one line on stderr, a distinct exit code, nothing on stdout.
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"Name":"web","Port":99999}`), 0o600)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"services", "deregister", addr, "web-1"}, exitNotFound, `unknown service ID "web-1"`},
		{[]string{"services", "register", addr, bad}, exitError, "Port 99999 is out of range"},
		{[]string{"services", "register", addr, "/nonexistent.json"}, exitError, "no such file"},
		{[]string{"services", "register", addr}, exitUsage, "expected 1 argument"},
		{[]string{"services", "deregister", "web-1", addr}, exitNotFound, `unknown service ID "web-1"`},
		{[]string{"services", "deregister", "web-1", "--bogus"}, exitUsage, "flag provided but not defined"},
		{[]string{"services", "--http-addr=127.0.0.1:1"}, exitUnreachable, "cannot reach the agent"},
		{[]string{"services", addr, "--format", "yaml"}, exitUsage, "--format"},
		{[]string{"agent", "--log-level", "loud", "--dev"}, exitUsage, "--log-level"},
		{[]string{"agent"}, exitUsage, "--data-dir is required"},
		{[]string{"nosuchcommand"}, exitUsage, ""},
	} {
		code, out, errOut := runCLI(t, "", tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 && tc.msg != "" {
			t.Errorf("%v: exit %d (want %d), stderr %q, stdout %q", tc.args, code, tc.code, errOut, out)
		}
	}
	if code, out, _ := runCLI(t, "", "version"); code != 0 || !strings.HasPrefix(out, "roster ") {
		t.Fatalf("version: %d %q", code, out)
	}
}

func TestNodeNameFromHost(t *testing.T) {
	for host, want := range map[string]string{
		"vm": "vm", "ip-10-0-0-1.ec2.internal": "ip-10-0-0-1", "my_host": "my-host",
		"_weird_": "weird", "": "roster", "...": "roster", strings.Repeat("a", 70): strings.Repeat("a", 63),
	} {
		if got := nodeNameFromHost(host); got != want {
			t.Errorf("nodeNameFromHost(%q) = %q, want %q", host, got, want)
		}
	}
}

func TestFlagsFirst(t *testing.T) {
	app := newApp(strings.NewReader(""), io.Discard, io.Discard)
	for _, tc := range []struct{ in, want string }{
		{"roster kv watch config/ --prefix", "roster kv watch --prefix -- config/"},
		{"roster kv put --cas 5 k v", "roster kv put --cas 5 -- k v"},
		{"roster kv put k v --cas 5 --flags=3", "roster kv put --cas 5 --flags=3 -- k v"},
		{"roster kv put k -", "roster kv put -- k -"},
		{"roster kv put k -notaflag", "roster kv put -notaflag -- k"},
		{"roster kv put k -- --cas", "roster kv put -- k --cas"},
		{"roster services deregister web-1 --http-addr x:1", "roster services deregister --http-addr x:1 -- web-1"},
		{"roster services register --format json f.json", "roster services register --format json -- f.json"},
		{"roster version", "roster version"},
		{"roster", "roster"},
		{"roster nosuch --x", "roster nosuch --x"},
	} {
		if got := strings.Join(flagsFirst(app, strings.Fields(tc.in)), " "); got != tc.want {
			t.Errorf("flagsFirst(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

package checks

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rosterhq/roster/registry"
)

// writeScript writes an executable /bin/sh script to a temporary directory.
func writeScript(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "check.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestExecCheckExitCodes(t *testing.T) {
	codeFile := filepath.Join(t.TempDir(), "code")
	if err := os.WriteFile(codeFile, []byte("0"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := writeScript(t, `code=$(cat "$1"); echo "out $code"; echo "err $code" >&2; exit "$code"`)

	m, rep := newTestManager(t, scriptConfig(t))
	m.Sync([]*registry.Check{serviceCheck("script", registry.CheckTypeScript, registry.CheckDefinition{
		Args: []string{script, codeFile}, Interval: 500 * time.Millisecond,
	})})
	for _, s := range []struct {
		code string
		want registry.Health
	}{{"0", registry.HealthPassing}, {"1", registry.HealthWarning}, {"2", registry.HealthCritical}, {"0", registry.HealthPassing}} {
		if err := os.WriteFile(codeFile, []byte(s.code), 0o644); err != nil {
			t.Fatal(err)
		}
		got := waitStatus(t, rep, "script", s.want)
		if want := "out " + s.code + "\nerr " + s.code + "\n"; got.output != want {
			t.Fatalf("exit %s: output %q, want %q", s.code, got.output, want)
		}
	}
}

// TestExecCheckTimeoutKillsGroup runs a script that starts a child and then
// outlives the timeout: the check is critical and the child is gone too.
func TestExecCheckTimeoutKillsGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	script := writeScript(t, `sleep 60 &
echo $! > "$1"
echo started
sleep 60
`)
	m, rep := newTestManager(t, scriptConfig(t))
	c := serviceCheck("slow", registry.CheckTypeScript, registry.CheckDefinition{
		Args: []string{script, pidFile}, Interval: time.Minute, Timeout: 300 * time.Millisecond,
	})
	c.Status = registry.HealthPassing // so that critical is a change
	m.Sync([]*registry.Check{c})
	out := waitStatus(t, rep, "slow", registry.HealthCritical).output
	if !strings.HasPrefix(out, "Timed out (300ms) running check") || !strings.Contains(out, "started") {
		t.Fatalf("output %q", out)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the script's child to die", func() bool { return processGone(pid) })
}

// processGone reports whether pid no longer runs: it does not exist, or it
// is a zombie waiting for a parent that does not reap (PID 1 in a container).
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// The state follows the parenthesised command name.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

func TestExecCheckDisabled(t *testing.T) {
	script := writeScript(t, "exit 0\n")
	m, rep := newTestManager(t, testConfig(t))
	c := serviceCheck("script", registry.CheckTypeScript, registry.CheckDefinition{Args: []string{script}, Interval: 50 * time.Millisecond})
	c.Status = registry.HealthPassing
	m.Sync([]*registry.Check{c})
	if out := waitStatus(t, rep, "script", registry.HealthCritical).output; !strings.Contains(out, "script checks are disabled") {
		t.Fatalf("output %q", out)
	}
}

func TestExecCheckMissingProgram(t *testing.T) {
	m, rep := newTestManager(t, scriptConfig(t))
	c := serviceCheck("script", registry.CheckTypeScript, registry.CheckDefinition{
		Args: []string{filepath.Join(t.TempDir(), "nope")}, Interval: 500 * time.Millisecond,
	})
	c.Status = registry.HealthPassing
	m.Sync([]*registry.Check{c})
	if out := waitStatus(t, rep, "script", registry.HealthCritical).output; !strings.Contains(out, "no such file") {
		t.Fatalf("output %q", out)
	}
}

func TestExecCheckRunsWithoutShell(t *testing.T) {
	// With a shell, "$HOME" would be expanded and ; would split commands.
	m, rep := newTestManager(t, scriptConfig(t))
	m.Sync([]*registry.Check{serviceCheck("echo", registry.CheckTypeScript, registry.CheckDefinition{
		Args: []string{"/bin/echo", "$HOME; exit 2"}, Interval: 500 * time.Millisecond,
	})})
	if out := waitStatus(t, rep, "echo", registry.HealthPassing).output; out != "$HOME; exit 2\n" {
		t.Fatalf("output %q", out)
	}
}

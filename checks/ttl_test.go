package checks

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/registry"
)

func TestTTLExpires(t *testing.T) {
	m, rep := newTestManager(t, testConfig(t))
	m.Sync([]*registry.Check{serviceCheck("ttl", registry.CheckTypeTTL, registry.CheckDefinition{TTL: 200 * time.Millisecond})})

	if err := m.UpdateTTL("ttl", registry.HealthPassing, "all good"); err != nil {
		t.Fatal(err)
	}
	if got := waitStatus(t, rep, "ttl", registry.HealthPassing); got.output != "all good" {
		t.Fatalf("output %q", got.output)
	}
	got := waitStatus(t, rep, "ttl", registry.HealthCritical)
	if want := "TTL expired (last output before timeout follows): all good"; got.output != want {
		t.Fatalf("output %q, want %q", got.output, want)
	}
}

func TestTTLExpiresWithoutReport(t *testing.T) {
	m, rep := newTestManager(t, testConfig(t))
	c := serviceCheck("ttl", registry.CheckTypeTTL, registry.CheckDefinition{TTL: 100 * time.Millisecond})
	c.Status = registry.HealthPassing // e.g. replicated before a restart
	m.Sync([]*registry.Check{c})
	if got := waitStatus(t, rep, "ttl", registry.HealthCritical); got.output != "TTL expired" {
		t.Fatalf("output %q", got.output)
	}
}

// TestTTLKeptAlive reports well within the TTL for a while: one write, no
// expiry; then the reports stop and the check expires.
func TestTTLKeptAlive(t *testing.T) {
	m, rep := newTestManager(t, testConfig(t))
	m.Sync([]*registry.Check{serviceCheck("ttl", registry.CheckTypeTTL, registry.CheckDefinition{TTL: 2 * time.Second})})
	for range 20 {
		if err := m.UpdateTTL("ttl", registry.HealthPassing, ""); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	w := rep.writes("ttl")
	if len(w) != 1 || w[0].status != registry.HealthPassing {
		t.Fatalf("writes while kept alive: %+v, want one passing", w)
	}
	waitStatus(t, rep, "ttl", registry.HealthCritical)
}

func TestTTLStatusChangesAreWrittenAtOnce(t *testing.T) {
	m, rep := newTestManager(t, testConfig(t))
	m.Sync([]*registry.Check{serviceCheck("ttl", registry.CheckTypeTTL, registry.CheckDefinition{TTL: time.Minute})})
	for _, h := range []registry.Health{registry.HealthPassing, registry.HealthWarning, registry.HealthCritical, registry.HealthPassing} {
		if err := m.UpdateTTL("ttl", h, "note "+string(h)); err != nil {
			t.Fatal(err)
		}
		if got := waitStatus(t, rep, "ttl", h); got.output != "note "+string(h) {
			t.Fatalf("output %q", got.output)
		}
	}
}

func TestUpdateTTLErrors(t *testing.T) {
	m, _ := newTestManager(t, testConfig(t))
	m.Sync([]*registry.Check{
		serviceCheck("ttl", registry.CheckTypeTTL, registry.CheckDefinition{TTL: time.Minute}),
		serviceCheck("tcp", registry.CheckTypeTCP, registry.CheckDefinition{TCP: "127.0.0.1:1", Interval: time.Minute}),
	})
	tests := []struct {
		id     string
		status registry.Health
		want   error
	}{
		{"nope", registry.HealthPassing, ErrUnknownCheck},
		{"tcp", registry.HealthPassing, ErrNotTTL},
		{"ttl", "fine", ErrInvalidStatus},
		{"ttl", registry.HealthWarning, nil},
	}
	for _, tt := range tests {
		if err := m.UpdateTTL(tt.id, tt.status, ""); !errors.Is(err, tt.want) {
			t.Fatalf("UpdateTTL(%q, %q) = %v, want %v", tt.id, tt.status, err, tt.want)
		}
	}
	m.Stop()
	if err := m.UpdateTTL("ttl", registry.HealthPassing, ""); !errors.Is(err, ErrUnknownCheck) {
		t.Fatalf("after Stop: %v", err)
	}
}

func TestUpdateTTLCutsOutput(t *testing.T) {
	m, rep := newTestManager(t, testConfig(t))
	m.Sync([]*registry.Check{serviceCheck("ttl", registry.CheckTypeTTL, registry.CheckDefinition{TTL: time.Minute})})
	if err := m.UpdateTTL("ttl", registry.HealthPassing, strings.Repeat("x", 3*MaxOutputSize)); err != nil {
		t.Fatal(err)
	}
	if out := waitStatus(t, rep, "ttl", registry.HealthPassing).output; len(out) > MaxOutputSize {
		t.Fatalf("output of %d bytes", len(out))
	}
}

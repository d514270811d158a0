package checks

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/registry"
)

// countingServer answers 200 with a fixed body and counts requests.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func (m *Manager) runner(id string) *runner {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.runners[id]
}

func TestSyncIsIdempotent(t *testing.T) {
	srv, _ := countingServer(t)
	m, rep := newTestManager(t, testConfig(t))
	c := serviceCheck("web", registry.CheckTypeHTTP, registry.CheckDefinition{HTTP: srv.URL, Interval: 100 * time.Millisecond})
	m.Sync([]*registry.Check{c})
	first := m.runner("web")
	got := waitStatus(t, rep, "web", registry.HealthPassing)

	// The same set again, and the set as it is after the runner's own write.
	m.Sync([]*registry.Check{c})
	written := *c
	written.Status, written.Output, written.ModifyIndex = got.status, got.output, 42
	m.Sync([]*registry.Check{&written})
	if m.runner("web") != first {
		t.Fatal("an unchanged check was restarted")
	}
	select {
	case <-first.done:
		t.Fatal("the runner stopped")
	default:
	}
}

func TestSyncRestartsChangedDefinition(t *testing.T) {
	srv, _ := countingServer(t)
	cfg := testConfig(t)
	cfg.OutputInterval = 50 * time.Millisecond // the new output is an output-only change
	m, rep := newTestManager(t, cfg)
	c := serviceCheck("web", registry.CheckTypeHTTP, registry.CheckDefinition{HTTP: srv.URL, Interval: 100 * time.Millisecond})
	m.Sync([]*registry.Check{c})
	first := m.runner("web")
	waitStatus(t, rep, "web", registry.HealthPassing)

	changed := *c
	changed.Status = registry.HealthPassing
	changed.Definition.HTTP = srv.URL + "/other"
	m.Sync([]*registry.Check{&changed})
	second := m.runner("web")
	if second == first {
		t.Fatal("a changed definition did not restart the runner")
	}
	select {
	case <-first.done:
	default:
		t.Fatal("Sync returned before the old runner stopped")
	}
	waitFor(t, "the new definition to be probed", func() bool {
		c, ok := rep.last("web")
		return ok && c.output == "HTTP GET "+srv.URL+"/other: 200 OK Output: ok"
	})
}

func TestSyncStopsRemovedChecks(t *testing.T) {
	srv, hits := countingServer(t)
	m, rep := newTestManager(t, testConfig(t))
	m.Sync([]*registry.Check{serviceCheck("web", registry.CheckTypeHTTP, registry.CheckDefinition{HTTP: srv.URL, Interval: 20 * time.Millisecond})})
	waitStatus(t, rep, "web", registry.HealthPassing)
	r := m.runner("web")

	m.Sync(nil)
	select {
	case <-r.done:
	default:
		t.Fatal("Sync returned before the removed runner stopped")
	}
	if m.runner("web") != nil {
		t.Fatal("removed check still has a runner")
	}
	probes, writes := hits.Load(), len(rep.writes("web"))
	time.Sleep(150 * time.Millisecond) // several intervals
	if hits.Load() != probes || len(rep.writes("web")) != writes {
		t.Fatal("a removed check kept probing or reporting")
	}
}

func TestSyncIgnoresChecksItDoesNotRun(t *testing.T) {
	m, _ := newTestManager(t, testConfig(t))
	m.Sync([]*registry.Check{
		{Node: "node-1", CheckID: registry.NodeHealthCheckID, Status: registry.HealthPassing, Type: registry.CheckTypeSerf},
		{Node: "node-1", CheckID: "alias", Status: registry.HealthPassing, Type: "alias"},
		nil,
	})
	if n := len(m.runners); n != 0 {
		t.Fatalf("%d runners for checks of other types", n)
	}
}

// TestRestartSeedingWritesNothing: a restarted agent rebuilds its runners
// from a replicated state that already says passing; probes agree, so
// nothing is written.
func TestRestartSeedingWritesNothing(t *testing.T) {
	srv, hits := countingServer(t)
	m, rep := newTestManager(t, testConfig(t))
	c := serviceCheck("web", registry.CheckTypeHTTP, registry.CheckDefinition{HTTP: srv.URL, Interval: 100 * time.Millisecond})
	c.Status = registry.HealthPassing
	c.Output = "HTTP GET " + srv.URL + ": 200 OK Output: ok"
	m.Sync([]*registry.Check{c})
	waitFor(t, "several probes", func() bool { return hits.Load() >= 5 })
	if w := rep.writes("web"); len(w) != 0 {
		t.Fatalf("restart wrote %+v", w)
	}
}

// TestSteadyStateWritesNothing: the first result is written, then many
// identical probes write nothing.
func TestSteadyStateWritesNothing(t *testing.T) {
	srv, hits := countingServer(t)
	m, rep := newTestManager(t, testConfig(t))
	m.Sync([]*registry.Check{serviceCheck("web", registry.CheckTypeHTTP, registry.CheckDefinition{HTTP: srv.URL, Interval: 100 * time.Millisecond})})
	waitStatus(t, rep, "web", registry.HealthPassing)
	start := hits.Load()
	waitFor(t, "many probes", func() bool { return hits.Load() >= start+10 })
	if w := rep.writes("web"); len(w) != 1 {
		t.Fatalf("%d writes in a steady state, want 1: %+v", len(w), w)
	}
}

// TestOutputOnlyChangesAreCoalesced: a body that changes on every probe is
// written at most once per OutputInterval, and the latest output gets there.
func TestOutputOnlyChangesAreCoalesced(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, n.Add(1))
	}))
	defer srv.Close()

	cfg := testConfig(t)
	cfg.OutputInterval = 400 * time.Millisecond
	m, rep := newTestManager(t, cfg)
	m.Sync([]*registry.Check{serviceCheck("web", registry.CheckTypeHTTP, registry.CheckDefinition{HTTP: srv.URL, Interval: 100 * time.Millisecond})})
	waitFor(t, "three writes", func() bool { return len(rep.writes("web")) >= 3 })

	w := rep.writes("web")
	if w[0].status != registry.HealthPassing {
		t.Fatalf("first write %+v", w[0])
	}
	for i := 1; i < len(w); i++ {
		if w[i].status != registry.HealthPassing {
			t.Fatalf("write %d changed the status: %+v", i, w[i])
		}
		if gap := w[i].at.Sub(w[i-1].at); gap < cfg.OutputInterval {
			t.Fatalf("writes %d and %d only %s apart", i-1, i, gap)
		}
	}
	if probes := n.Load(); probes < int64(2*len(w)) {
		t.Fatalf("%d probes for %d writes: not coalesced", probes, len(w))
	}
}

// TestFailedWritesAreRetriedWithBackoff: a Reporter that fails is retried
// with growing delays, not in a loop, and the latest state wins.
func TestFailedWritesAreRetriedWithBackoff(t *testing.T) {
	cfg := testConfig(t)
	cfg.RetryMin, cfg.RetryMax = 20*time.Millisecond, 80*time.Millisecond
	m, rep := newTestManager(t, cfg)
	rep.fail = func(id string, n int) error {
		if n < 4 {
			return errors.New("no leader")
		}
		return nil
	}
	m.Sync([]*registry.Check{serviceCheck("ttl", registry.CheckTypeTTL, registry.CheckDefinition{TTL: time.Minute})})
	start := time.Now()
	if err := m.UpdateTTL("ttl", registry.HealthWarning, "first"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first failed attempt", func() bool { return rep.tries("ttl") >= 1 })
	if err := m.UpdateTTL("ttl", registry.HealthPassing, "latest"); err != nil {
		t.Fatal(err)
	}
	got := waitStatus(t, rep, "ttl", registry.HealthPassing)
	// Delays of 20, 40, 80 and 80 ms come before the fifth attempt.
	if took := time.Since(start); took < 220*time.Millisecond {
		t.Fatalf("succeeded after %s: retries did not back off", took)
	}
	if n := rep.tries("ttl"); n != 5 {
		t.Fatalf("%d attempts, want 5", n)
	}
	if w := rep.writes("ttl"); len(w) != 1 || got.output != "latest" {
		t.Fatalf("writes %+v, want only the latest state", w)
	}
}

// TestBlockedReporterDoesNotBlockOtherChecks: one check's write hangs; the
// other check is still written, and Stop still returns.
func TestBlockedReporterDoesNotBlockOtherChecks(t *testing.T) {
	srv, _ := countingServer(t)
	m, rep := newTestManager(t, testConfig(t))
	rep.block = "stuck"
	def := registry.CheckDefinition{HTTP: srv.URL, Interval: 20 * time.Millisecond}
	m.Sync([]*registry.Check{serviceCheck("stuck", registry.CheckTypeHTTP, def), serviceCheck("free", registry.CheckTypeHTTP, def)})
	waitStatus(t, rep, "free", registry.HealthPassing)
	waitFor(t, "the stuck write to start", func() bool { return rep.tries("stuck") == 1 })

	done := make(chan struct{})
	go func() { m.Stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(waitTimeout):
		t.Fatal("Stop did not return while a write was blocked")
	}
}

func TestDeregisterCriticalService(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()

	m, rep := newTestManager(t, testConfig(t))
	rep.failDrg = func(n int) error {
		if n == 0 {
			return errors.New("no leader")
		}
		return nil
	}
	c := serviceCheck("web", registry.CheckTypeHTTP, registry.CheckDefinition{
		HTTP: url, Interval: 20 * time.Millisecond, DeregisterCriticalServiceAfter: 150 * time.Millisecond,
	})
	c.Status = registry.HealthPassing
	start := time.Now()
	m.Sync([]*registry.Check{c})
	waitFor(t, "the service to be deregistered", func() bool { return len(rep.deregistrations()) == 2 })
	if took := time.Since(start); took < 150*time.Millisecond {
		t.Fatalf("deregistered after %s, before DeregisterCriticalServiceAfter", took)
	}
	time.Sleep(100 * time.Millisecond)
	if d := rep.deregistrations(); len(d) != 2 || d[1] != "web-1" {
		t.Fatalf("deregistrations %v, want one failed and one done for web-1", d)
	}
}

func TestNoDeregisterWhileRecovering(t *testing.T) {
	srv, _ := countingServer(t)
	m, rep := newTestManager(t, testConfig(t))
	c := serviceCheck("web", registry.CheckTypeHTTP, registry.CheckDefinition{
		HTTP: srv.URL, Interval: 100 * time.Millisecond, DeregisterCriticalServiceAfter: 500 * time.Millisecond,
	})
	m.Sync([]*registry.Check{c}) // seeded critical, passes at once
	waitStatus(t, rep, "web", registry.HealthPassing)
	time.Sleep(700 * time.Millisecond)
	if d := rep.deregistrations(); len(d) != 0 {
		t.Fatalf("deregistered a passing service: %v", d)
	}
}

// TestObservedDivergenceIsRewritten: when the replicated status differs from
// what the runner wrote (someone else wrote it), the runner writes its own
// verdict again.
func TestObservedDivergenceIsRewritten(t *testing.T) {
	m, rep := newTestManager(t, testConfig(t))
	c := serviceCheck("ttl", registry.CheckTypeTTL, registry.CheckDefinition{TTL: time.Minute})
	m.Sync([]*registry.Check{c})
	if err := m.UpdateTTL("ttl", registry.HealthPassing, "mine"); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, rep, "ttl", registry.HealthPassing)

	reset := *c
	reset.Status, reset.Output = registry.HealthCritical, "reset by someone"
	m.Sync([]*registry.Check{&reset})
	waitFor(t, "the runner to write its verdict again", func() bool { return len(rep.writes("ttl")) == 2 })
	if w, _ := rep.last("ttl"); w.status != registry.HealthPassing || w.output != "mine" {
		t.Fatalf("rewrote %+v", w)
	}
	time.Sleep(50 * time.Millisecond)
	if n := len(rep.writes("ttl")); n != 2 {
		t.Fatalf("%d writes, want 2", n)
	}
}

func TestJitterDelaysFirstProbe(t *testing.T) {
	srv, hits := countingServer(t)
	cfg := testConfig(t)
	cfg.Jitter = func() float64 { return 0.5 }
	m, _ := newTestManager(t, cfg)
	start := time.Now()
	m.Sync([]*registry.Check{serviceCheck("web", registry.CheckTypeHTTP, registry.CheckDefinition{HTTP: srv.URL, Interval: 400 * time.Millisecond})})
	waitFor(t, "the first probe", func() bool { return hits.Load() >= 1 })
	if took := time.Since(start); took < 200*time.Millisecond {
		t.Fatalf("first probe after %s, want at least half the interval", took)
	}
}

func TestStopIsIdempotentAndFinal(t *testing.T) {
	srv, hits := countingServer(t)
	m, _ := newTestManager(t, testConfig(t))
	def := registry.CheckDefinition{HTTP: srv.URL, Interval: 20 * time.Millisecond}
	m.Sync([]*registry.Check{serviceCheck("web", registry.CheckTypeHTTP, def)})
	waitFor(t, "a probe", func() bool { return hits.Load() >= 1 })
	m.Stop()
	m.Stop()
	m.Sync([]*registry.Check{serviceCheck("web", registry.CheckTypeHTTP, def)})
	n := hits.Load()
	time.Sleep(100 * time.Millisecond)
	if hits.Load() != n {
		t.Fatal("probes ran after Stop")
	}
}

// TestStopLeavesNoGoroutines runs every kind of probe against a closed port
// and checks that Stop leaves nothing running: no runner, no connection.
func TestStopLeavesNoGoroutines(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	before := runtime.NumGoroutine()
	cfg := scriptConfig(t)
	m := NewManager(cfg, &fakeReporter{})
	every := 20 * time.Millisecond
	m.Sync([]*registry.Check{
		serviceCheck("http", registry.CheckTypeHTTP, registry.CheckDefinition{HTTP: "http://" + addr, Interval: every}),
		serviceCheck("tcp", registry.CheckTypeTCP, registry.CheckDefinition{TCP: addr, Interval: every}),
		serviceCheck("grpc", registry.CheckTypeGRPC, registry.CheckDefinition{GRPC: addr, Interval: every}),
		serviceCheck("exec", registry.CheckTypeScript, registry.CheckDefinition{Args: []string{"/bin/true"}, Interval: every}),
		serviceCheck("ttl", registry.CheckTypeTTL, registry.CheckDefinition{TTL: every}),
	})
	time.Sleep(200 * time.Millisecond)
	m.Stop()
	waitFor(t, "goroutines to exit", func() bool { return runtime.NumGoroutine() <= before })
}

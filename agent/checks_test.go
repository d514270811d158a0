package agent_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/rosterhq/roster/agent"
	"github.com/rosterhq/roster/agent/agenttest"
	"github.com/rosterhq/roster/registry"
)

func waitStatus(t *testing.T, a *agent.Agent, checkID string, want registry.Health, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		c := a.Store().Check(a.NodeName(), checkID)
		if c != nil && c.Status == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("check %s: %+v, want %s within %s", checkID, c, want, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// flipServer is an HTTP health endpoint whose status code a test sets.
func flipServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var code atomic.Int32
	code.Store(http.StatusServiceUnavailable)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(code.Load()))
	}))
	t.Cleanup(srv.Close)
	return srv, &code
}

func TestHTTPCheckDrivesHealthAndWritesOnlyChanges(t *testing.T) {
	a := agenttest.Start(t, agenttest.Config(t, "n1", t.TempDir()))
	srv, code := flipServer(t)
	client, _ := api.NewClient(&api.Config{Address: a.HTTPAddr()})
	err := client.Agent().ServiceRegister(&api.AgentServiceRegistration{
		ID: "web-1", Name: "web", Port: 80,
		Check: &api.AgentServiceCheck{HTTP: srv.URL + "/health", Interval: "1s", Timeout: "500ms"},
	})
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, a, "service:web-1", registry.HealthCritical, 5*time.Second)
	if a.Store().Service("web") == nil || len(a.Store().Service("web").Instances) != 0 {
		t.Fatal("critical instance is in the DNS view")
	}
	code.Store(http.StatusOK)
	waitStatus(t, a, "service:web-1", registry.HealthPassing, 5*time.Second)
	if sv := a.Store().Service("web"); sv == nil || len(sv.Instances) != 1 {
		t.Fatal("passing instance missing from the DNS view")
	}

	// Steady state: several intervals pass, nothing is written.
	idx := a.Store().AppliedIndex()
	time.Sleep(3500 * time.Millisecond)
	if now := a.Store().AppliedIndex(); now != idx {
		t.Fatalf("steady passing check wrote to Raft: index %d -> %d", idx, now)
	}
	code.Store(http.StatusTooManyRequests)
	waitStatus(t, a, "service:web-1", registry.HealthWarning, 5*time.Second)
	code.Store(http.StatusInternalServerError)
	waitStatus(t, a, "service:web-1", registry.HealthCritical, 5*time.Second)
	entries, _, err := client.Health().Service("web", "", false, nil)
	if err != nil || len(entries) != 1 || entries[0].Checks.AggregatedStatus() != api.HealthCritical || len(entries[0].Checks) != 2 {
		t.Fatalf("health = %+v %v", entries, err)
	}
}

func TestTTLCheckEndpointsAndRestartResumesChecks(t *testing.T) {
	dir := t.TempDir()
	a := agenttest.Start(t, agenttest.Config(t, "n1", dir))
	client, _ := api.NewClient(&api.Config{Address: a.HTTPAddr()})
	agentAPI := client.Agent()
	if err := agentAPI.ServiceRegister(&api.AgentServiceRegistration{
		ID: "db-1", Name: "db", Check: &api.AgentServiceCheck{CheckID: "db-ttl", TTL: "2s"},
	}); err != nil {
		t.Fatal(err)
	}
	// A report right after the registration finds its check.
	if err := agentAPI.PassTTL("db-ttl", "all good"); err != nil {
		t.Fatalf("pass: %v", err)
	}
	waitStatus(t, a, "db-ttl", registry.HealthPassing, 5*time.Second)
	if err := agentAPI.UpdateTTL("db-ttl", "slow", api.HealthWarning); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, a, "db-ttl", registry.HealthWarning, 5*time.Second)
	if c := a.Store().Check("n1", "db-ttl"); c.Output != "slow" {
		t.Fatalf("output = %q", c.Output)
	}
	checks, err := agentAPI.Checks()
	if err != nil || checks["db-ttl"] == nil || checks["db-ttl"].Status != api.HealthWarning || checks["db-ttl"].ServiceID != "db-1" {
		t.Fatalf("agent checks = %+v %v", checks, err)
	}
	// Errors: unknown check 404, non-TTL check 400, bad status 400.
	if err := agentAPI.PassTTL("nope", ""); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("unknown check: %v", err)
	}
	if err := agentAPI.CheckRegister(&api.AgentCheckRegistration{Name: "disk", AgentServiceCheck: api.AgentServiceCheck{TCP: "127.0.0.1:1", Interval: "1s"}}); err != nil {
		t.Fatal(err)
	}
	if err := agentAPI.PassTTL("disk", ""); err == nil || !strings.Contains(err.Error(), "400") {
		t.Fatalf("pass on a TCP check: %v", err)
	}
	// A node-level check that fails takes every instance of the node out.
	waitStatus(t, a, "disk", registry.HealthCritical, 5*time.Second)
	if err := agentAPI.CheckDeregister("disk"); err != nil {
		t.Fatal(err)
	}
	if err := agentAPI.CheckDeregister("disk"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("second check deregister: %v", err)
	}

	// Stop and restart: the TTL runner comes back from the replicated state
	// and, with no report, expires the check to critical.
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	b := agenttest.Start(t, agenttest.Config(t, "n1", dir))
	waitStatus(t, b, "db-ttl", registry.HealthCritical, 10*time.Second)
	if c := b.Store().Check("n1", "db-ttl"); !strings.Contains(c.Output, "TTL expired") {
		t.Fatalf("expired output = %q", c.Output)
	}
	client, _ = api.NewClient(&api.Config{Address: b.HTTPAddr()})
	if err := client.Agent().PassTTL("db-ttl", "back"); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, b, "db-ttl", registry.HealthPassing, 5*time.Second)
}

func TestDeregisterCriticalServiceAfter(t *testing.T) {
	cfg := agenttest.Config(t, "n1", t.TempDir())
	cfg.MinDeregisterCriticalAfter = time.Second
	a := agenttest.Start(t, cfg)
	client, _ := api.NewClient(&api.Config{Address: a.HTTPAddr()})
	if err := client.Agent().ServiceRegister(&api.AgentServiceRegistration{
		ID: "gone-1", Name: "gone",
		Check: &api.AgentServiceCheck{TCP: "127.0.0.1:1", Interval: "1s", DeregisterCriticalServiceAfter: "2s"},
	}); err != nil {
		t.Fatal(err)
	}
	if err := client.Agent().ServiceRegister(&api.AgentServiceRegistration{
		ID: "stays-1", Name: "stays", Check: &api.AgentServiceCheck{TTL: "1m", Status: api.HealthPassing},
	}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for a.Store().Instance("n1", "gone-1") != nil {
		if time.Now().After(deadline) {
			t.Fatal("long-critical instance was not deregistered")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if a.Store().Instance("n1", "stays-1") == nil {
		t.Fatal("healthy instance was deregistered too")
	}
	if c := a.Store().Check("n1", "service:gone-1"); c != nil {
		t.Fatal("deregistered instance's check survived")
	}
}

package cluster

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"
)

func TestParseFeatures(t *testing.T) {
	help := "   --node value   name\n   --bootstrap-expect value  n\n   --join value  addr\n   --dns-addr value  x\n   --server  (default: false)\n"
	f := parseFeatures(help)
	if !f.Cluster || !f.DNS || !f.Server || f.Gossip || f.GossipProfile {
		t.Fatalf("parseFeatures = %+v", f)
	}
	goFlags := "  -bootstrap-expect int\n    \tservers\n  -join value\n  -dns-addr string\n"
	if f := parseFeatures(goFlags); !f.Cluster || !f.DNS {
		t.Fatalf("Go flag package help: %+v", f)
	}
	if f := parseFeatures("   --node value\n   --joined x\n"); f.Cluster || f.DNS {
		t.Fatalf("features of a single-node agent: %+v", f)
	}
}

// newTestCluster starts real agents, or skips unless ROSTER_CHAOS=1 as root.
func newTestCluster(t *testing.T, n int) *Cluster {
	t.Helper()
	if os.Getenv("ROSTER_CHAOS") == "" || os.Geteuid() != 0 {
		t.Skip("set ROSTER_CHAOS=1 (as root) to run real agents in namespaces")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bin := os.Getenv("ROSTER_CHAOS_BIN")
	if bin == "" {
		var err error
		if bin, err = Build(ctx, t.TempDir()); err != nil {
			t.Fatal(err)
		}
	}
	c, err := Start(ctx, Options{Binary: bin, Nodes: n, Dir: t.TempDir(), GossipProfile: "local"})
	if err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("close cluster: %v", err)
		}
	})
	return c
}

func TestNodeLifecycle(t *testing.T) {
	c := newTestCluster(t, 3)
	ctx := context.Background()
	n := c.Nodes[1]
	_, e0 := n.Live()

	if err := n.Pause(); err != nil {
		t.Fatal(err)
	}
	if live, e := n.Live(); live || e == e0 {
		t.Fatalf("paused node: live=%v epoch %d (was %d)", live, e, e0)
	}
	client := &http.Client{Timeout: 300 * time.Millisecond}
	if resp, err := client.Get("http://" + n.HTTPAddr + "/v1/status/leader"); err == nil {
		resp.Body.Close()
		t.Fatal("a stopped process answered HTTP")
	}
	if err := n.Resume(); err != nil {
		t.Fatal(err)
	}
	resp, err := client.Get("http://" + n.HTTPAddr + "/v1/status/leader")
	if err != nil {
		t.Fatalf("resumed node does not answer: %v", err)
	}
	resp.Body.Close()

	if err := n.Kill(); err != nil {
		t.Fatal(err)
	}
	if n.State() != Killed {
		t.Fatalf("state after kill: %s", n.State())
	}
	if exited, _ := n.Exited(); exited {
		t.Fatal("a killed node counts as crashed")
	}
	if err := n.Start(ctx); err != nil {
		t.Fatalf("restart on the same data dir: %v", err)
	}
	if live, _ := n.Live(); !live || n.Starts() != 2 {
		t.Fatalf("after restart: live=%v starts=%d", live, n.Starts())
	}
	if _, err := c.Leader(ctx); err != nil {
		t.Fatalf("leader after restart: %v", err)
	}
	if cr := n.Crashes(); len(cr) != 0 {
		t.Fatalf("supervised kill counted as a crash: %v", cr)
	}
}

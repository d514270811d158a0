package consensus

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rosterhq/roster/registry"
)

func testConfig(t *testing.T, id, dir string) Config {
	t.Helper()
	cfg := DefaultConfig()
	cfg.ID = id
	cfg.DataDir = dir
	cfg.BindAddr = "127.0.0.1:0"
	cfg.HeartbeatTimeout = 300 * time.Millisecond
	cfg.ElectionTimeout = 300 * time.Millisecond
	cfg.LeaderLeaseTimeout = 150 * time.Millisecond
	cfg.LeaderWait = 5 * time.Second
	return cfg
}

func mustNode(t *testing.T, cfg Config, store *registry.Store) *Node {
	t.Helper()
	n, err := New(cfg, store)
	if err != nil {
		t.Fatalf("new node %s: %v", cfg.ID, err)
	}
	t.Cleanup(func() { n.Shutdown() })
	return n
}

func kvSet(t *testing.T, key, val string) []byte {
	t.Helper()
	b, err := registry.Encode(&registry.KV{Op: registry.KVSet, Entry: registry.KVEntry{Key: key, Value: []byte(val)}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSingleNodeBootstrapApplyRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, "n1", dir)
	cfg.BootstrapSelf = true
	store := registry.NewStore(nil)
	n := mustNode(t, cfg, store)
	ctx := context.Background()
	res, err := n.Apply(ctx, kvSet(t, "a", "1"))
	if err != nil || res.Err != nil || !res.OK {
		t.Fatalf("apply: %+v %v", res, err)
	}
	// A rejected command comes back as the result, not as a Raft error.
	bad, _ := registry.Encode(&registry.DeregisterService{Node: "n1", ServiceID: "nope"})
	res, err = n.Apply(ctx, bad)
	if err != nil || !errors.Is(res.Err, registry.ErrServiceNotFound) {
		t.Fatalf("rejected command: %+v %v", res, err)
	}
	if err := n.Snapshot(); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Apply(ctx, kvSet(t, "b", "2")); err != nil {
		t.Fatal(err)
	}
	if err := n.Shutdown(); err != nil {
		t.Fatal(err)
	}

	// Restart on the same directory: state comes back from snapshot + log,
	// and the node does not bootstrap again (it would fail if it tried to
	// with a different address, and its index would restart).
	store2 := registry.NewStore(nil)
	n2 := mustNode(t, cfg, store2)
	if _, err := n2.WaitForLeader(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	// A default read on the new leader must already see every entry of
	// the previous term (regression: it used to read before the replay).
	if err := n2.Barrier(ctx, ReadDefault); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"a": "1", "b": "2"} {
		if _, e := store2.KVGet(nil, key); e == nil || string(e.Value) != want {
			t.Fatalf("after restart %s = %+v, want %s", key, e, want)
		}
	}
	if store2.AppliedIndex() < res.Index {
		t.Fatalf("applied index went back: %d < %d", store2.AppliedIndex(), res.Index)
	}
}

func TestBootstrapClusterIsOnce(t *testing.T) {
	cfg := testConfig(t, "n1", t.TempDir())
	cfg.BootstrapSelf = true
	n := mustNode(t, cfg, registry.NewStore(nil))
	if err := n.BootstrapCluster([]Server{{ID: "n1", Address: n.Addr()}}); !errors.Is(err, ErrAlreadyBootstrapped) {
		t.Fatalf("second bootstrap: %v", err)
	}
}

type testCluster struct {
	nodes  []*Node
	stores []*registry.Store
}

func newTestCluster(t *testing.T, size int) *testCluster {
	t.Helper()
	c := &testCluster{}
	var servers []Server
	for i := 0; i < size; i++ {
		id := fmt.Sprintf("n%d", i+1)
		s := registry.NewStore(nil)
		n := mustNode(t, testConfig(t, id, t.TempDir()), s)
		c.nodes, c.stores = append(c.nodes, n), append(c.stores, s)
		servers = append(servers, Server{ID: id, Address: n.Addr()})
	}
	for _, n := range c.nodes {
		if err := n.BootstrapCluster(servers); err != nil && !errors.Is(err, ErrAlreadyBootstrapped) {
			t.Fatal(err)
		}
	}
	c.leader(t)
	return c
}

func (c *testCluster) leader(t *testing.T) int {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for i, n := range c.nodes {
			if n.IsLeader() {
				return i
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no leader elected")
	return -1
}

func TestClusterForwardsWritesAndReads(t *testing.T) {
	c := newTestCluster(t, 3)
	ctx := context.Background()
	leader := c.leader(t)
	follower := (leader + 1) % 3

	res, err := c.nodes[follower].Apply(ctx, kvSet(t, "k", "from-follower"))
	if err != nil || !res.OK {
		t.Fatalf("apply through follower: %+v %v", res, err)
	}
	// The follower has applied its own forwarded write when Apply returns.
	if _, e := c.stores[follower].KVGet(nil, "k"); e == nil {
		t.Fatal("forwarded write not visible on the follower that took it")
	}
	// A consistent read on the third node sees it.
	other := (leader + 2) % 3
	if err := c.nodes[other].Barrier(ctx, ReadConsistent); err != nil {
		t.Fatal(err)
	}
	if _, e := c.stores[other].KVGet(nil, "k"); e == nil || string(e.Value) != "from-follower" {
		t.Fatalf("consistent read on %d: %+v", other, e)
	}
	servers, err := c.nodes[other].Servers()
	if err != nil || len(servers) != 3 {
		t.Fatalf("servers: %v %v", servers, err)
	}
	leaders := 0
	for _, s := range servers {
		if !s.Voter {
			t.Fatalf("%s is not a voter", s.ID)
		}
		if s.Leader {
			leaders++
		}
	}
	if leaders != 1 {
		t.Fatalf("%d servers marked leader", leaders)
	}

	// Kill the leader: a new one is elected and writes through the old
	// follower go on.
	c.nodes[leader].Shutdown()
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err = c.nodes[follower].Apply(ctx, kvSet(t, "k2", "after-failover"))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no write after leader loss: %v", err)
		}
	}
	if !res.OK {
		t.Fatalf("write after failover: %+v", res)
	}
}

func TestNoLeaderFailsWithinBound(t *testing.T) {
	c := newTestCluster(t, 3)
	leader := c.leader(t)
	lone := (leader + 1) % 3
	for i, n := range c.nodes {
		if i != lone {
			n.Shutdown()
		}
	}
	cfgWait := c.nodes[lone].cfg.LeaderWait
	start := time.Now()
	_, err := c.nodes[lone].Apply(context.Background(), kvSet(t, "x", "y"))
	if !errors.Is(err, ErrNoLeader) && !errors.Is(err, ErrUnknownOutcome) {
		t.Fatalf("write without quorum: %v", err)
	}
	if took := time.Since(start); took > cfgWait+c.nodes[lone].cfg.ApplyTimeout+5*time.Second {
		t.Fatalf("write without quorum took %s", took)
	}
	if err := c.nodes[lone].Barrier(context.Background(), ReadStale); err != nil {
		t.Fatalf("stale reads need no leader: %v", err)
	}
}

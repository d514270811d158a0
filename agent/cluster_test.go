package agent_test

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"
	"github.com/miekg/dns"

	"github.com/rosterhq/roster/agent"
	"github.com/rosterhq/roster/agent/agenttest"
	"github.com/rosterhq/roster/registry"
)

func apiClient(t *testing.T, a *agent.Agent) *api.Client {
	t.Helper()
	c, err := api.NewClient(&api.Config{Address: a.HTTPAddr()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func srvTargets(t *testing.T, a *agent.Agent, name string) int {
	t.Helper()
	return len(query(t, a, name, dns.TypeSRV).Answer)
}

func TestClusterFormsAndReplicates(t *testing.T) {
	c := agenttest.StartCluster(t, 3, nil)
	leader := c.Leader()
	f := c.Followers()[0]

	// Exactly one Raft group with three voters, seen the same everywhere.
	for _, a := range c.Agents {
		servers, err := a.Raft().Servers()
		if err != nil || len(servers) != 3 {
			t.Fatalf("%s sees servers %v (%v)", a.NodeName(), servers, err)
		}
		for _, s := range servers {
			if !s.Voter {
				t.Fatalf("%s is not a voter", s.ID)
			}
		}
		peers, _ := apiClient(t, a).Status().Peers()
		leaderAddr, _ := apiClient(t, a).Status().Leader()
		if len(peers) != 3 || leaderAddr != c.Agents[leader].RaftAddr() {
			t.Fatalf("%s: peers %v leader %q", a.NodeName(), peers, leaderAddr)
		}
	}

	// Register through a follower: the write is forwarded to the leader,
	// and the SRV answer appears on every node.
	if err := apiClient(t, c.Agents[f]).Agent().ServiceRegister(&api.AgentServiceRegistration{
		ID: "web-1", Name: "web", Address: "10.0.0.1", Port: 8080,
	}); err != nil {
		t.Fatal(err)
	}
	for _, a := range c.Agents {
		c.WaitFor("SRV on "+a.NodeName(), 10*time.Second, func() bool { return srvTargets(t, a, "_web._tcp.service.roster") == 1 })
	}
	// The instance belongs to the follower's node.
	if inst := c.Agents[leader].Store().Instance(c.Agents[f].NodeName(), "web-1"); inst == nil {
		t.Fatal("instance not owned by the node it was registered through")
	}

	// Members: three alive servers, one marked as the leader's raft address.
	members, err := apiClient(t, c.Agents[0]).Agent().Members(false)
	if err != nil || len(members) != 3 {
		t.Fatalf("members = %v %v", members, err)
	}
	for _, m := range members {
		if m.Status != 1 || m.Tags["role"] != "consul" || m.Tags["raft_addr"] == "" {
			t.Fatalf("member %+v", m)
		}
	}
}

func TestClusterWritesSurviveLeaderLoss(t *testing.T) {
	c := agenttest.StartCluster(t, 3, nil)
	old := c.Leader()
	c.Kill(old)
	newLeader := c.WaitForLeader()
	if newLeader == old {
		t.Fatal("dead node still leads")
	}
	// Writes go on through every survivor; KV puts are read back with
	// ?consistent from each.
	for _, i := range []int{(old + 1) % 3, (old + 2) % 3} {
		kv := apiClient(t, c.Agents[i]).KV()
		key := "k-" + c.Agents[i].NodeName()
		if _, err := kv.Put(&api.KVPair{Key: key, Value: []byte("v")}, nil); err != nil {
			t.Fatalf("put through %s: %v", c.Agents[i].NodeName(), err)
		}
		for _, j := range []int{(old + 1) % 3, (old + 2) % 3} {
			p, _, err := apiClient(t, c.Agents[j]).KV().Get(key, &api.QueryOptions{RequireConsistent: true})
			if err != nil || p == nil {
				t.Fatalf("consistent read of %s on %s: %v %v", key, c.Agents[j].NodeName(), p, err)
			}
		}
	}
	// The dead node comes back with its data and catches up.
	b := c.Restart(old)
	c.WaitConverged()
	if _, e := b.Store().KVGet(nil, "k-"+c.Agents[(old+1)%3].NodeName()); e == nil {
		t.Fatal("restarted node did not catch up")
	}
}

func TestClusterConsistentReadThroughFollowerAfterPut(t *testing.T) {
	c := agenttest.StartCluster(t, 3, nil)
	f := c.Followers()[0]
	if _, err := apiClient(t, c.Agents[f]).KV().Put(&api.KVPair{Key: "cfg", Value: []byte("from-follower")}, nil); err != nil {
		t.Fatal(err)
	}
	for _, a := range c.Agents {
		p, meta, err := apiClient(t, a).KV().Get("cfg", &api.QueryOptions{RequireConsistent: true})
		if err != nil || p == nil || string(p.Value) != "from-follower" || !meta.KnownLeader {
			t.Fatalf("consistent get on %s = %+v %+v %v", a.NodeName(), p, meta, err)
		}
		// The default mode reads the leader's view as well.
		p, _, err = apiClient(t, a).KV().Get("cfg", nil)
		if err != nil || p == nil {
			t.Fatalf("default get on %s = %+v %v", a.NodeName(), p, err)
		}
	}
}

// TestClusterFailedNodeLeavesDNS kills a node: its instances leave every
// other node's DNS answers (gossip, no Raft round trip), the leader records
// serfHealth critical, and they come back when the node restarts.
func TestClusterFailedNodeLeavesDNS(t *testing.T) {
	c := agenttest.StartCluster(t, 3, nil)
	for i, a := range c.Agents {
		if err := apiClient(t, a).Agent().ServiceRegister(&api.AgentServiceRegistration{
			ID: "web", Name: "web", Address: "10.0.0." + strconv.Itoa(i+1), Port: 80,
		}); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range c.Agents {
		c.WaitFor("3 answers", 10*time.Second, func() bool { return len(answerIPs(query(t, a, "web.service.roster", dns.TypeA))) == 3 })
	}
	victim := c.Followers()[0]
	victimName := c.Agents[victim].NodeName()
	start := time.Now()
	c.Kill(victim)
	for i, a := range c.Agents {
		if a == nil {
			continue
		}
		c.WaitFor("dead node out of DNS", 15*time.Second, func() bool {
			return len(answerIPs(query(t, a, "web.service.roster", dns.TypeA))) == 2
		})
		t.Logf("node %d stopped answering for %s after %s", i, victimName, time.Since(start).Round(time.Millisecond))
	}
	// The leader records the failure through Raft: health shows serfHealth
	// critical for the dead node, on every node.
	leader := c.WaitForLeader()
	c.WaitFor("serfHealth critical", 10*time.Second, func() bool {
		ch := c.Agents[leader].Store().Check(victimName, registry.NodeHealthCheckID)
		return ch != nil && ch.Status == registry.HealthCritical
	})
	entries, _, err := apiClient(t, c.Agents[leader]).Health().Service("web", "", true, nil)
	if err != nil || len(entries) != 2 {
		t.Fatalf("passing web instances = %d, %v", len(entries), err)
	}

	c.Restart(victim)
	for _, a := range c.Agents {
		c.WaitFor("restarted node back in DNS", 20*time.Second, func() bool {
			return len(answerIPs(query(t, a, "web.service.roster", dns.TypeA))) == 3
		})
	}
}

func TestClusterGracefulLeave(t *testing.T) {
	c := agenttest.StartCluster(t, 3, nil)
	f := c.Followers()[0]
	name := c.Agents[f].NodeName()
	if err := apiClient(t, c.Agents[f]).Agent().ServiceRegister(&api.AgentServiceRegistration{ID: "db", Name: "db", Port: 5432}); err != nil {
		t.Fatal(err)
	}
	// PUT /v1/agent/leave through the API, as `roster leave` does.
	req, _ := http.NewRequest("PUT", "http://"+c.Agents[f].HTTPAddr()+"/v1/agent/leave", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("leave: %d %s", resp.StatusCode, body)
	}
	select {
	case <-c.Agents[f].Done():
	case <-time.After(15 * time.Second):
		t.Fatal("Done not closed after leave")
	}
	c.Kill(f)
	leader := c.WaitForLeader()
	servers, _ := c.Agents[leader].Raft().Servers()
	if len(servers) != 2 {
		t.Fatalf("after leave the raft configuration is %v", servers)
	}
	c.WaitFor("instances of the left node deregistered", 10*time.Second, func() bool {
		return c.Agents[leader].Store().Node(name) == nil && c.Agents[leader].Store().Instance(name, "db") == nil
	})
	// The cluster of two still takes writes.
	if _, err := apiClient(t, c.Agents[leader]).KV().Put(&api.KVPair{Key: "after-leave", Value: []byte("ok")}, nil); err != nil {
		t.Fatal(err)
	}
}

func TestClusterLateServerJoinsAsVoter(t *testing.T) {
	c := agenttest.StartCluster(t, 3, nil)
	cfg := agenttest.Config(t, "n4", t.TempDir())
	cfg.Join = []string{c.Agents[0].GossipAddr()}
	d := agenttest.StartNoWait(t, cfg)
	c.WaitFor("n4 added as a voter", 20*time.Second, func() bool {
		servers, _ := c.Agents[c.Leader()].Raft().Servers()
		for _, s := range servers {
			if s.ID == "n4" && s.Voter {
				return true
			}
		}
		return false
	})
	agenttest.WaitReady(t, d)
	if _, err := apiClient(t, d).KV().Put(&api.KVPair{Key: "from-n4", Value: []byte("x")}, nil); err != nil {
		t.Fatal(err)
	}
}

func TestClusterWithoutQuorumFailsWritesButAnswersDNS(t *testing.T) {
	c := agenttest.StartCluster(t, 3, func(i int, cfg *agent.Config) { cfg.Raft.LeaderWait = 2 * time.Second })
	if err := apiClient(t, c.Agents[0]).Agent().ServiceRegister(&api.AgentServiceRegistration{ID: "web", Name: "web", Address: "10.1.1.1"}); err != nil {
		t.Fatal(err)
	}
	c.WaitConverged()
	lone := c.Followers()[0]
	for i := range c.Agents {
		if i != lone {
			c.Kill(i)
		}
	}
	req, _ := http.NewRequest("PUT", "http://"+c.Agents[lone].HTTPAddr()+"/v1/kv/x", strings.NewReader("y"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(body), "leader") {
		t.Fatalf("write without quorum: %d %s", resp.StatusCode, body)
	}
	// Stale reads and DNS keep answering from the local replica.
	kv := apiClient(t, c.Agents[lone]).KV()
	if _, _, err := kv.Get("x", &api.QueryOptions{AllowStale: true}); err != nil {
		t.Fatalf("stale read without a leader: %v", err)
	}
	r := query(t, c.Agents[lone], "n"+strconv.Itoa(lone+1)+".node.roster", dns.TypeA)
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		t.Fatalf("DNS without a leader: %v", r)
	}

}

// TestClusterLaggingNodeCatchesUpBySnapshot stops a node, writes far more
// entries than the leader keeps in its log, and restarts the node: it can
// only catch up by installing a snapshot, which replaces its state.
func TestClusterLaggingNodeCatchesUpBySnapshot(t *testing.T) {
	c := agenttest.StartCluster(t, 3, func(i int, cfg *agent.Config) {
		cfg.Raft.SnapshotThreshold = 32
		cfg.Raft.TrailingLogs = 8
		cfg.Raft.SnapshotInterval = 100 * time.Millisecond
	})
	lag := c.Followers()[0]
	kv := apiClient(t, c.Agents[c.Leader()]).KV()
	kv.Put(&api.KVPair{Key: "doomed", Value: []byte("x")}, nil)
	c.WaitConverged()
	c.Kill(lag)
	kv.Delete("doomed", nil)
	for i := 0; i < 200; i++ {
		if _, err := kv.Put(&api.KVPair{Key: "k" + strconv.Itoa(i), Value: []byte(strconv.Itoa(i))}, nil); err != nil {
			t.Fatal(err)
		}
	}
	leader := c.Agents[c.Leader()]
	if err := leader.Raft().Snapshot(); err != nil {
		t.Fatal(err)
	}
	b := c.Restart(lag)
	c.WaitConverged()
	if _, e := b.Store().KVGet(nil, "k199"); e == nil || string(e.Value) != "199" {
		t.Fatalf("lagging node missing late writes: %+v", e)
	}
	if _, e := b.Store().KVGet(nil, "doomed"); e != nil {
		t.Fatal("restore kept a key deleted while the node was down")
	}
	// Its latest snapshot is the leader's, taken after it went down: it
	// was installed, not replayed from a log the leader no longer has.
	want, _ := strconv.ParseUint(leader.Raft().Stats()["last_snapshot_index"], 10, 64)
	got, _ := strconv.ParseUint(b.Raft().Stats()["last_snapshot_index"], 10, 64)
	if want == 0 || got < want {
		t.Fatalf("lagging node's snapshot index %d, leader's %d: no snapshot was installed", got, want)
	}
}

// TestClusterFailingCheckLeavesDNSEverywhere: the HTTP check of an instance
// starts failing and the instance leaves DNS on all three nodes, then comes
// back when it passes again. The owning agent restarts and resumes its
// checks from the replicated state.
func TestClusterFailingCheckLeavesDNSEverywhere(t *testing.T) {
	c := agenttest.StartCluster(t, 3, nil)
	srv, code := flipServer(t)
	code.Store(http.StatusOK)
	owner := c.Followers()[0]
	if err := apiClient(t, c.Agents[owner]).Agent().ServiceRegister(&api.AgentServiceRegistration{
		ID: "api-1", Name: "api", Address: "10.2.0.1", Port: 80,
		Check: &api.AgentServiceCheck{HTTP: srv.URL, Interval: "1s", Timeout: "500ms"},
	}); err != nil {
		t.Fatal(err)
	}
	inDNS := func(a *agent.Agent) bool { return len(answerIPs(query(t, a, "api.service.roster", dns.TypeA))) == 1 }
	everywhere := func(want bool, what string) {
		t.Helper()
		start := time.Now()
		for _, a := range c.Agents {
			if a != nil {
				c.WaitFor(what+" on "+a.NodeName(), 15*time.Second, func() bool { return inDNS(a) == want })
			}
		}
		t.Logf("%s on every node after %s (check interval 1s)", what, time.Since(start).Round(time.Millisecond))
	}
	everywhere(true, "passing instance in DNS")
	code.Store(http.StatusInternalServerError)
	everywhere(false, "failing instance out of DNS")
	code.Store(http.StatusOK)
	everywhere(true, "recovered instance back in DNS")

	// Restart the owner: its runner comes back and still drives DNS.
	c.Kill(owner)
	c.Restart(owner)
	c.WaitConverged()
	code.Store(http.StatusInternalServerError)
	everywhere(false, "failing instance out of DNS after the owner restarted")
}

package agent_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/rosterhq/roster/agent/agenttest"
)

func register(t *testing.T, httpAddr, body string) {
	t.Helper()
	req, _ := http.NewRequest("PUT", "http://"+httpAddr+"/v1/agent/service/register", strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("register: %d", resp.StatusCode)
	}
}

func TestRegistrationsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := agenttest.Config(t, "n1", dir)
	cfg.Raft.SnapshotThreshold = 16 // some registrations land in a snapshot, some only in the log
	cfg.Raft.TrailingLogs = 4
	a := agenttest.Start(t, cfg)
	for i := 0; i < 40; i++ {
		register(t, a.HTTPAddr(), fmt.Sprintf(`{"Name":"web","ID":"web-%d","Port":%d}`, i, 8000+i))
	}
	if err := a.Raft().Snapshot(); err != nil {
		t.Fatal(err)
	}
	register(t, a.HTTPAddr(), `{"Name":"db","ID":"db-1","Port":5432}`)
	before := a.Store().AppliedIndex()
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}

	b := agenttest.Start(t, agenttest.Config(t, "n1", dir))
	client, err := api.NewClient(&api.Config{Address: b.HTTPAddr()})
	if err != nil {
		t.Fatal(err)
	}
	web, _, err := client.Catalog().Service("web", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(web) != 40 {
		t.Fatalf("after restart: %d web instances, want 40", len(web))
	}
	db, _, err := client.Catalog().Service("db", "", nil)
	if err != nil || len(db) != 1 || db[0].ServicePort != 5432 {
		t.Fatalf("after restart db = %+v, %v", db, err)
	}
	if b.Store().AppliedIndex() < before {
		t.Fatalf("applied index went back from %d to %d", before, b.Store().AppliedIndex())
	}
	// Same Raft identity: one voter, itself (no second bootstrap), at the
	// new address once the leader has updated it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		peers, err := client.Status().Peers()
		if err == nil && len(peers) == 1 && peers[0] == b.RaftAddr() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("peers after restart = %v, %v (raft at %s)", peers, err, b.RaftAddr())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestConsulClientCompatibility drives the agent with Consul's own Go client.
func TestConsulClientCompatibility(t *testing.T) {
	a := agenttest.Start(t, agenttest.Config(t, "n1", t.TempDir()))
	client, err := api.NewClient(&api.Config{Address: a.HTTPAddr()})
	if err != nil {
		t.Fatal(err)
	}
	agentAPI := client.Agent()
	reg := &api.AgentServiceRegistration{
		ID: "web-1", Name: "web", Tags: []string{"v1"}, Port: 8080, Address: "10.0.0.5",
		Meta:    map[string]string{"team": "edge"},
		Weights: &api.AgentWeights{Passing: 5, Warning: 1},
		Check:   &api.AgentServiceCheck{TTL: "30s", Status: api.HealthPassing},
	}
	if err := agentAPI.ServiceRegister(reg); err != nil {
		t.Fatalf("register: %v", err)
	}
	if err := agentAPI.ServiceRegisterOpts(&api.AgentServiceRegistration{Name: "db", Port: 5432},
		api.ServiceRegisterOpts{ReplaceExistingChecks: true}); err != nil {
		t.Fatalf("register with opts: %v", err)
	}

	services, err := agentAPI.Services()
	if err != nil || len(services) != 2 || services["web-1"].Weights.Passing != 5 || services["web-1"].Meta["team"] != "edge" {
		t.Fatalf("agent services = %+v, %v", services, err)
	}
	names, meta, err := client.Catalog().Services(nil)
	if err != nil || len(names) != 2 || names["web"][0] != "v1" || meta.LastIndex == 0 {
		t.Fatalf("catalog services = %v %+v %v", names, meta, err)
	}
	entries, _, err := client.Health().Service("web", "v1", true, nil)
	if err != nil || len(entries) != 1 {
		t.Fatalf("health service = %+v, %v", entries, err)
	}
	if got := entries[0].Checks.AggregatedStatus(); got != api.HealthPassing {
		t.Fatalf("aggregated status = %s", got)
	}
	nodes, _, err := client.Catalog().Nodes(nil)
	if err != nil || len(nodes) != 1 || nodes[0].Node != "n1" {
		t.Fatalf("nodes = %+v, %v", nodes, err)
	}
	leader, err := client.Status().Leader()
	if err != nil || leader != a.RaftAddr() {
		t.Fatalf("leader = %q, %v", leader, err)
	}
	// A blocking query with the index from the last read returns after a
	// change, with a higher index.
	_, meta, _ = client.Catalog().Service("web", "", nil)
	done := make(chan uint64)
	go func() {
		_, m, err := client.Catalog().Service("web", "", &api.QueryOptions{WaitIndex: meta.LastIndex})
		if err != nil {
			t.Error(err)
		}
		done <- m.LastIndex
	}()
	if err := agentAPI.ServiceRegister(&api.AgentServiceRegistration{ID: "web-2", Name: "web"}); err != nil {
		t.Fatal(err)
	}
	if idx := <-done; idx <= meta.LastIndex {
		t.Fatalf("blocking query returned index %d, not past %d", idx, meta.LastIndex)
	}

	if err := agentAPI.ServiceDeregister("web-1"); err != nil {
		t.Fatalf("deregister: %v", err)
	}
	if err := agentAPI.ServiceDeregister("web-1"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("second deregister: %v", err)
	}
	services, _ = agentAPI.Services()
	if _, ok := services["web-1"]; ok || len(services) != 2 {
		t.Fatalf("after deregister: %v", services)
	}
}

// TestConsulClientKV drives the KV store with Consul's own Go client.
func TestConsulClientKV(t *testing.T) {
	a := agenttest.Start(t, agenttest.Config(t, "n1", t.TempDir()))
	client, err := api.NewClient(&api.Config{Address: a.HTTPAddr()})
	if err != nil {
		t.Fatal(err)
	}
	kv := client.KV()
	if _, err := kv.Put(&api.KVPair{Key: "app/db/url", Value: []byte("postgres://db"), Flags: 3}, nil); err != nil {
		t.Fatal(err)
	}
	p, meta, err := kv.Get("app/db/url", nil)
	if err != nil || p == nil || string(p.Value) != "postgres://db" || p.Flags != 3 || meta.LastIndex != p.ModifyIndex {
		t.Fatalf("get = %+v %+v %v", p, meta, err)
	}
	if missing, _, err := kv.Get("app/none", nil); err != nil || missing != nil {
		t.Fatalf("missing key = %+v %v", missing, err)
	}
	// CAS with a stale index fails, with the current one succeeds.
	if ok, _, err := kv.CAS(&api.KVPair{Key: "app/db/url", Value: []byte("x"), ModifyIndex: p.ModifyIndex - 1}, nil); err != nil || ok {
		t.Fatalf("stale CAS = %v %v", ok, err)
	}
	if ok, _, err := kv.CAS(&api.KVPair{Key: "app/db/url", Value: []byte("postgres://db2"), ModifyIndex: p.ModifyIndex}, nil); err != nil || !ok {
		t.Fatalf("CAS = %v %v", ok, err)
	}
	kv.Put(&api.KVPair{Key: "app/web/port", Value: []byte("8080")}, nil)
	kv.Put(&api.KVPair{Key: "app/web/host", Value: []byte("web")}, nil)
	pairs, _, err := kv.List("app/", nil)
	if err != nil || len(pairs) != 3 || pairs[0].Key != "app/db/url" {
		t.Fatalf("list = %v %v", pairs, err)
	}
	keys, _, err := kv.Keys("app/", "/", nil)
	if err != nil || strings.Join(keys, ",") != "app/db/,app/web/" {
		t.Fatalf("keys = %v %v", keys, err)
	}

	// A blocking Get returns when the key changes, with the new value.
	p, meta, _ = kv.Get("app/web/port", nil)
	got := make(chan *api.KVPair)
	go func() {
		p, _, err := kv.Get("app/web/port", &api.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: time.Minute})
		if err != nil {
			t.Error(err)
		}
		got <- p
	}()
	time.Sleep(50 * time.Millisecond)
	kv.Put(&api.KVPair{Key: "app/web/host", Value: []byte("unrelated")}, nil)
	kv.Put(&api.KVPair{Key: "app/web/port", Value: []byte("9090")}, nil)
	if p := <-got; p == nil || string(p.Value) != "9090" {
		t.Fatalf("blocking get = %+v", p)
	}

	if _, err := kv.DeleteTree("app/web/", nil); err != nil {
		t.Fatal(err)
	}
	pairs, _, _ = kv.List("app/", nil)
	if len(pairs) != 1 {
		t.Fatalf("after delete tree: %v", pairs)
	}
}

func TestLeaderReapsOldKVTombstones(t *testing.T) {
	cfg := agenttest.Config(t, "n1", t.TempDir())
	cfg.TombstoneTTL = time.Second
	a := agenttest.Start(t, cfg)
	kv := func(method, key string) {
		req, _ := http.NewRequest(method, "http://"+a.HTTPAddr()+"/v1/kv/"+key, strings.NewReader("v"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s %s: %v %v", method, key, resp, err)
		}
		resp.Body.Close()
	}
	kv("PUT", "gone")
	kv("DELETE", "gone")
	idx := a.Store().AppliedIndex()
	if !a.Store().HasTombstonesUpTo(idx) {
		t.Fatal("delete left no tombstone")
	}
	deadline := time.Now().Add(30 * time.Second)
	for a.Store().HasTombstonesUpTo(idx) {
		if time.Now().After(deadline) {
			t.Fatal("the leader never reaped the tombstone")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

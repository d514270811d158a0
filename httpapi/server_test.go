package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/registry"
)

// directBackend applies commands straight to a store, as a one-node Raft
// would, so handler tables run without a cluster. Agent tests cover Raft.
type directBackend struct {
	mu    sync.Mutex
	store *registry.Store
	index uint64
	fail  error
}

func (b *directBackend) Apply(_ context.Context, cmd registry.Command) (registry.Result, error) {
	if b.fail != nil {
		return registry.Result{}, b.fail
	}
	data, err := registry.Encode(cmd)
	if err != nil {
		return registry.Result{}, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.index++
	return b.store.Apply(b.index, data), nil
}

func (b *directBackend) Barrier(context.Context, Consistency) error { return b.fail }

// UpdateTTL writes the report straight away, as the agent's check runner
// would after it.
func (b *directBackend) UpdateTTL(id string, status registry.Health, output string) error {
	c := b.store.Check("n1", id)
	if c == nil {
		return fmt.Errorf("%w: unknown check %q", ErrNotFound, id)
	}
	if c.Type != registry.CheckTypeTTL {
		return fmt.Errorf("%w: check %q is not a TTL check", ErrBadRequest, id)
	}
	_, err := b.Apply(context.Background(), &registry.UpdateCheck{Node: "n1", CheckID: id, Status: status, Output: output})
	return err
}
func (b *directBackend) Stats() map[string]map[string]string {
	return map[string]map[string]string{"raft": {"state": "Leader", "term": "2"}}
}
func (b *directBackend) RaftConfiguration() ([]RaftServer, uint64, error) {
	return []RaftServer{{ID: "n1", Node: "n1", Address: "127.0.0.1:8300", Leader: true, Voter: true, ProtocolVersion: "3"}}, 1, nil
}
func (b *directBackend) Leader() string                     { return "127.0.0.1:8300" }
func (b *directBackend) Peers() ([]string, error)           { return []string{"127.0.0.1:8300"}, nil }
func (b *directBackend) LastContact() (time.Duration, bool) { return 0, true }

// fakeMembers is a one-member gossip pool.
type fakeMembers struct {
	mu     sync.Mutex
	joined []string
	left   bool
}

func (f *fakeMembers) Members() []Member {
	return []Member{{Name: "n1", Addr: "127.0.0.1", Port: 8301, Status: 1, Tags: map[string]string{"role": "consul"}}}
}

func (f *fakeMembers) Join(_ context.Context, addr string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if addr == "10.255.255.1" {
		return fmt.Errorf("%w: cannot reach %s", ErrBadRequest, addr)
	}
	f.joined = append(f.joined, addr)
	return nil
}

func (f *fakeMembers) Leave(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.left = true
	return nil
}

type testAPI struct {
	t       *testing.T
	srv     *Server
	store   *registry.Store
	backend *directBackend
}

func newTestAPI(t *testing.T) *testAPI {
	t.Helper()
	store := registry.NewStore(nil)
	b := &directBackend{store: store}
	cfg := DefaultConfig()
	cfg.NodeName, cfg.NodeID, cfg.NodeAddress = "n1", "node-id-1", "127.0.0.1"
	srv, err := New(cfg, store, b, &fakeMembers{})
	if err != nil {
		t.Fatal(err)
	}
	return &testAPI{t: t, srv: srv, store: store, backend: b}
}

func (a *testAPI) do(method, path, body string) *httptest.ResponseRecorder {
	a.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	rec := httptest.NewRecorder()
	a.srv.ServeHTTP(rec, req)
	return rec
}

func (a *testAPI) mustDo(method, path, body string) *httptest.ResponseRecorder {
	a.t.Helper()
	rec := a.do(method, path, body)
	if rec.Code != http.StatusOK {
		a.t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	return rec
}

// snapshot returns the whole replicated state, to prove a request changed
// nothing.
func (a *testAPI) snapshot() []byte {
	a.t.Helper()
	var buf bytes.Buffer
	if _, err := a.store.Snapshot().WriteTo(&buf); err != nil {
		a.t.Fatal(err)
	}
	// Drop the header line: it carries the applied index, which a rejected
	// command legitimately advances.
	_, rest, _ := bytes.Cut(buf.Bytes(), []byte("\n"))
	return rest
}

func TestRegisterRejectsBadInputAndChangesNothing(t *testing.T) {
	a := newTestAPI(t)
	a.mustDo("PUT", "/v1/agent/service/register", `{"Name":"web","ID":"web-1","Port":8080}`)
	big := `{"Name":"web","Meta":{"k":"` + strings.Repeat("x", 1<<20) + `"}}`
	many := `{"Name":"web","Tags":[` + strings.Repeat(`"t",`, 64) + `"t"]}`
	cases := []struct {
		name, method, path, body string
		code                     int
		msg                      string
	}{
		{"no name", "PUT", "/v1/agent/service/register", `{"Port":80}`, 400, "Name is required"},
		{"bad label", "PUT", "/v1/agent/service/register", `{"Name":"web_1"}`, 400, "not a valid DNS label"},
		{"long label", "PUT", "/v1/agent/service/register", `{"Name":"` + strings.Repeat("a", 64) + `"}`, 400, "longer than 63"},
		{"port high", "PUT", "/v1/agent/service/register", `{"Name":"web","Port":65536}`, 400, "Port 65536 is out of range"},
		{"port negative", "PUT", "/v1/agent/service/register", `{"Name":"web","Port":-1}`, 400, "Port -1"},
		{"port type", "PUT", "/v1/agent/service/register", `{"Name":"web","Port":"80"}`, 400, `field "Port"`},
		{"bad address", "PUT", "/v1/agent/service/register", `{"Name":"web","Address":"not an address!"}`, 400, "Address"},
		{"weight zero", "PUT", "/v1/agent/service/register", `{"Name":"web","Weights":{"Passing":0,"Warning":1}}`, 400, "Weights.Passing"},
		{"weight high", "PUT", "/v1/agent/service/register", `{"Name":"web","Weights":{"Passing":1,"Warning":70000}}`, 400, "Weights.Warning"},
		{"unknown field", "PUT", "/v1/agent/service/register", `{"Name":"web","Colour":"red"}`, 400, `unknown field "Colour"`},
		{"unknown nested field", "PUT", "/v1/agent/service/register", `{"Name":"web","Check":{"HTTP":"http://x/","Interval":"10s","Bogus":1}}`, 400, `unknown field "Bogus"`},
		{"malformed", "PUT", "/v1/agent/service/register", `{"Name":`, 400, "malformed JSON"},
		{"trailing", "PUT", "/v1/agent/service/register", `{"Name":"web"} {}`, 400, "unexpected data"},
		{"empty body", "PUT", "/v1/agent/service/register", ``, 400, "body is empty"},
		{"array body", "PUT", "/v1/agent/service/register", `[]`, 400, "expected"},
		{"too many tags", "PUT", "/v1/agent/service/register", many, 400, "Tags has 65"},
		{"empty tag", "PUT", "/v1/agent/service/register", `{"Name":"web","Tags":[""]}`, 400, "empty tag"},
		{"meta key", "PUT", "/v1/agent/service/register", `{"Name":"web","Meta":{"a b":"c"}}`, 400, "Meta key"},
		{"meta reserved", "PUT", "/v1/agent/service/register", `{"Name":"web","Meta":{"consul-x":"c"}}`, 400, "reserved"},
		{"id slash", "PUT", "/v1/agent/service/register", `{"Name":"web","ID":"a/b"}`, 400, "must not contain"},
		{"too large", "PUT", "/v1/agent/service/register", big, 413, "exceeds the limit"},
		{"check without kind", "PUT", "/v1/agent/service/register", `{"Name":"web","Check":{"Interval":"10s"}}`, 400, "must define one of"},
		{"check two kinds", "PUT", "/v1/agent/service/register", `{"Name":"web","Check":{"HTTP":"http://x/","TCP":"x:1","Interval":"10s"}}`, 400, "several kinds"},
		{"check no interval", "PUT", "/v1/agent/service/register", `{"Name":"web","Check":{"TCP":"x:1"}}`, 400, "Interval is required"},
		{"check bad interval", "PUT", "/v1/agent/service/register", `{"Name":"web","Check":{"TCP":"x:1","Interval":"soon"}}`, 400, "invalid duration"},
		{"check timeout", "PUT", "/v1/agent/service/register", `{"Name":"web","Check":{"TCP":"x:1","Interval":"5s","Timeout":"5s"}}`, 400, "less than Interval"},
		{"check bad url", "PUT", "/v1/agent/service/register", `{"Name":"web","Check":{"HTTP":"ftp://x","Interval":"5s"}}`, 400, "http:// or https://"},
		{"check status", "PUT", "/v1/agent/service/register", `{"Name":"web","Check":{"TTL":"5s","Status":"fine"}}`, 400, "Status"},
		{"check udp", "PUT", "/v1/agent/service/register", `{"Name":"web","Check":{"UDP":"x:1","Interval":"5s"}}`, 400, "not supported"},
		{"script disabled", "PUT", "/v1/agent/service/register", `{"Name":"web","Check":{"Args":["/bin/true"],"Interval":"5s"}}`, 400, "--enable-script-checks"},
		{"dcsa too short", "PUT", "/v1/agent/service/register", `{"Name":"web","Check":{"TTL":"5s","DeregisterCriticalServiceAfter":"30s"}}`, 400, "minimum of 1m"},
		{"reserved check id", "PUT", "/v1/agent/service/register", `{"Name":"web","Check":{"CheckID":"serfHealth","TTL":"5s"}}`, 400, "reserved"},
		{"bad replace flag", "PUT", "/v1/agent/service/register?replace-existing-checks=maybe", `{"Name":"web"}`, 400, "not a boolean"},
		{"wrong method", "POST", "/v1/agent/service/register", `{"Name":"web"}`, 405, "Method Not Allowed"},
		{"get on deregister", "GET", "/v1/agent/service/deregister/web-1", ``, 405, "Method Not Allowed"},
		{"deregister unknown", "PUT", "/v1/agent/service/deregister/nope", ``, 404, `unknown service ID "nope"`},
		{"deregister wrong method", "DELETE", "/v1/agent/service/deregister/web-1", ``, 405, "Method Not Allowed"},
		{"unknown path", "GET", "/v1/nothing", ``, 404, "not found"},
		{"stale and consistent", "GET", "/v1/catalog/services?stale&consistent", ``, 400, "cannot be combined"},
		{"bad index", "GET", "/v1/catalog/services?index=x", ``, 400, "index"},
		{"bad wait", "GET", "/v1/catalog/services?index=1&wait=forever", ``, 400, "wait"},
		{"bad state", "GET", "/v1/health/state/sick", ``, 400, "state"},
		{"bad passing", "GET", "/v1/health/service/web?passing=perhaps", ``, 400, "not a boolean"},
	}
	before := a.snapshot()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := a.do(tc.method, tc.path, tc.body)
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d (%s)", rec.Code, tc.code, rec.Body)
			}
			if !strings.Contains(rec.Body.String(), tc.msg) {
				t.Fatalf("body %q does not mention %q", rec.Body, tc.msg)
			}
			if tc.code != 405 && tc.code != 404 && !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
				t.Fatalf("error content type %q", rec.Header().Get("Content-Type"))
			}
			if after := a.snapshot(); !bytes.Equal(before, after) {
				t.Fatalf("rejected request changed the state")
			}
		})
	}
}

func TestRegisterAcceptsConsulFieldsAndDefaults(t *testing.T) {
	a := newTestAPI(t)
	// Every field Consul's Go client sends, including ones roster ignores.
	body := `{"Kind":"","ID":"","Name":"api","Tags":["v2"],"Port":9000,"Address":"",
		"TaggedAddresses":{"lan":{"Address":"10.0.0.1","Port":9000}},"EnableTagOverride":true,
		"Meta":{"version":"2"},"Weights":null,"Check":null,"Checks":null,"Proxy":null,"Connect":null,
		"Namespace":"","Partition":"","Locality":null,"SocketPath":"","Ports":null}`
	a.mustDo("PUT", "/v1/agent/service/register", body)
	inst := a.store.Instance("n1", "api")
	if inst == nil {
		t.Fatal("instance not registered under its name as ID")
	}
	if inst.Weights != registry.DefaultWeights || inst.Port != 9000 || !inst.EnableTagOverride || inst.Meta["version"] != "2" {
		t.Fatalf("instance = %+v", inst)
	}
	var services map[string]apiAgentService
	if err := json.Unmarshal(a.mustDo("GET", "/v1/agent/services", "").Body.Bytes(), &services); err != nil {
		t.Fatal(err)
	}
	if s := services["api"]; s.Service != "api" || s.Weights.Passing != 1 || len(s.Tags) != 1 {
		t.Fatalf("agent services = %+v", services)
	}
}

func TestRegisterWithChecksAndDeregister(t *testing.T) {
	a := newTestAPI(t)
	a.mustDo("PUT", "/v1/agent/service/register", `{"Name":"web","ID":"web-1","Port":80,
		"Checks":[{"HTTP":"http://127.0.0.1:80/health","Interval":"10s"},{"TTL":"30s","Status":"passing"}]}`)
	c1 := a.store.Check("n1", "service:web-1:1")
	c2 := a.store.Check("n1", "service:web-1:2")
	if c1 == nil || c1.Status != registry.HealthCritical || c1.Definition.Timeout != 10*time.Second || c1.Type != "http" {
		t.Fatalf("check 1 = %+v", c1)
	}
	if c2 == nil || c2.Status != registry.HealthPassing || c2.Definition.TTL != 30*time.Second {
		t.Fatalf("check 2 = %+v", c2)
	}
	// Consul's default: checks not named in a re-registration stay...
	a.mustDo("PUT", "/v1/agent/service/register", `{"Name":"web","ID":"web-1","Port":80}`)
	if a.store.Check("n1", "service:web-1:1") == nil {
		t.Fatal("re-registration without checks removed them")
	}
	// ...unless asked to replace them.
	a.mustDo("PUT", "/v1/agent/service/register?replace-existing-checks", `{"Name":"web","ID":"web-1","Port":80}`)
	if a.store.Check("n1", "service:web-1:1") != nil {
		t.Fatal("replace-existing-checks kept old checks")
	}
	a.mustDo("PUT", "/v1/agent/service/deregister/web-1", "")
	if a.store.Instance("n1", "web-1") != nil {
		t.Fatal("deregistered instance still there")
	}
}

func TestCatalogAndHealthReads(t *testing.T) {
	a := newTestAPI(t)
	a.mustDo("PUT", "/v1/agent/service/register", `{"Name":"web","ID":"web-1","Port":80,"Tags":["v1"],"Address":"10.0.0.1"}`)
	a.mustDo("PUT", "/v1/agent/service/register", `{"Name":"web","ID":"web-2","Port":81,"Tags":["v2"],"Check":{"TTL":"10s"}}`)
	a.mustDo("PUT", "/v1/agent/service/register", `{"Name":"db","Port":5432}`)

	rec := a.mustDo("GET", "/v1/catalog/services", "")
	var services map[string][]string
	json.Unmarshal(rec.Body.Bytes(), &services)
	if len(services) != 2 || strings.Join(services["web"], ",") != "v1,v2" || len(services["db"]) != 0 || services["db"] == nil {
		t.Fatalf("catalog services = %v", services)
	}
	if rec.Header().Get("X-Consul-Index") == "" || rec.Header().Get("X-Consul-KnownLeader") != "true" {
		t.Fatalf("read headers = %v", rec.Header())
	}

	var cs []apiCatalogService
	json.Unmarshal(a.mustDo("GET", "/v1/catalog/service/web?tag=v2", "").Body.Bytes(), &cs)
	if len(cs) != 1 || cs[0].ServiceID != "web-2" || cs[0].Node != "n1" || cs[0].Address != "127.0.0.1" {
		t.Fatalf("catalog service web?tag=v2 = %+v", cs)
	}
	if body := a.mustDo("GET", "/v1/catalog/service/nosuch", "").Body.String(); strings.TrimSpace(body) != "[]" {
		t.Fatalf("unknown service = %s", body)
	}

	var entries []apiServiceEntry
	json.Unmarshal(a.mustDo("GET", "/v1/health/service/web", "").Body.Bytes(), &entries)
	if len(entries) != 2 {
		t.Fatalf("health entries = %+v", entries)
	}
	json.Unmarshal(a.mustDo("GET", "/v1/health/service/web?passing", "").Body.Bytes(), &entries)
	if len(entries) != 1 || entries[0].Service.ID != "web-1" {
		t.Fatalf("passing entries = %+v", entries)
	}

	var nodes []apiNode
	json.Unmarshal(a.mustDo("GET", "/v1/catalog/nodes", "").Body.Bytes(), &nodes)
	if len(nodes) != 1 || nodes[0].Node != "n1" || nodes[0].ID != "node-id-1" {
		t.Fatalf("nodes = %+v", nodes)
	}
	if rec := a.do("GET", "/v1/catalog/node/nosuch", ""); rec.Code != 404 {
		t.Fatalf("unknown node: %d", rec.Code)
	}
	var checks []apiHealthCheck
	json.Unmarshal(a.mustDo("GET", "/v1/health/state/critical", "").Body.Bytes(), &checks)
	if len(checks) != 1 || checks[0].ServiceID != "web-2" || checks[0].ServiceTags[0] != "v2" {
		t.Fatalf("critical checks = %+v", checks)
	}
	if body := a.mustDo("GET", "/v1/status/leader", "").Body.String(); strings.TrimSpace(body) != `"127.0.0.1:8300"` {
		t.Fatalf("leader = %s", body)
	}
}

func TestBlockingQueryWakesOnChangeAndTimesOut(t *testing.T) {
	a := newTestAPI(t)
	a.mustDo("PUT", "/v1/agent/service/register", `{"Name":"web","ID":"web-1"}`)
	idx := a.mustDo("GET", "/v1/health/service/web", "").Header().Get("X-Consul-Index")

	// Times out with the same index when nothing changes.
	rec := a.mustDo("GET", "/v1/health/service/web?index="+idx+"&wait=50ms", "")
	if rec.Header().Get("X-Consul-Index") != idx {
		t.Fatalf("timed-out query index %s, want %s", rec.Header().Get("X-Consul-Index"), idx)
	}

	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- a.do("GET", "/v1/health/service/web?index="+idx+"&wait=30s", "") }()
	// An unrelated write does not wake it...
	a.mustDo("PUT", "/v1/agent/service/register", `{"Name":"db"}`)
	select {
	case rec := <-done:
		t.Fatalf("woke on an unrelated write: %s", rec.Header().Get("X-Consul-Index"))
	case <-time.After(200 * time.Millisecond):
	}
	// ...a write to web does.
	a.mustDo("PUT", "/v1/agent/service/register", `{"Name":"web","ID":"web-2"}`)
	select {
	case rec := <-done:
		var entries []apiServiceEntry
		json.Unmarshal(rec.Body.Bytes(), &entries)
		if len(entries) != 2 || rec.Header().Get("X-Consul-Index") == idx {
			t.Fatalf("woken query: index %s, %d entries", rec.Header().Get("X-Consul-Index"), len(entries))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("blocking query did not wake")
	}
}

func TestBackendFailuresMapTo503(t *testing.T) {
	a := newTestAPI(t)
	a.backend.fail = ErrNoLeader
	rec := a.do("PUT", "/v1/agent/service/register", `{"Name":"web"}`)
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "no cluster leader") {
		t.Fatalf("no leader: %d %s", rec.Code, rec.Body)
	}
	a.backend.fail = ErrUnknownOutcome
	if rec := a.do("PUT", "/v1/agent/service/register", `{"Name":"web"}`); rec.Code != 503 || !strings.Contains(rec.Body.String(), "retrying") {
		t.Fatalf("unknown outcome: %d %s", rec.Code, rec.Body)
	}
	if rec := a.do("GET", "/v1/catalog/services", ""); rec.Code != 503 {
		t.Fatalf("read without leader: %d", rec.Code)
	}
}

func TestStopBlockingAnswersParkedQueries(t *testing.T) {
	a := newTestAPI(t)
	a.mustDo("PUT", "/v1/kv/k", "v")
	idx := a.mustDo("GET", "/v1/kv/k", "").Header().Get("X-Consul-Index")
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- a.do("GET", "/v1/kv/k?index="+idx+"&wait=10m", "") }()
	time.Sleep(50 * time.Millisecond)
	a.srv.StopBlocking()
	select {
	case rec := <-done:
		if rec.Code != 200 || rec.Header().Get("X-Consul-Index") != idx {
			t.Fatalf("stopped query: %d index %s", rec.Code, rec.Header().Get("X-Consul-Index"))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("StopBlocking left a query parked")
	}
}

func TestMembershipEndpoints(t *testing.T) {
	a := newTestAPI(t)
	var members []apiMember
	if err := json.Unmarshal(a.mustDo("GET", "/v1/agent/members", "").Body.Bytes(), &members); err != nil {
		t.Fatal(err)
	}
	if len(members) != 1 || members[0].Name != "n1" || members[0].Status != 1 || members[0].ProtocolCur == 0 {
		t.Fatalf("members = %+v", members)
	}
	a.mustDo("PUT", "/v1/agent/join/10.0.0.2:8301", "")
	if rec := a.do("PUT", "/v1/agent/join/10.255.255.1", ""); rec.Code != 400 || !strings.Contains(rec.Body.String(), "cannot reach") {
		t.Fatalf("join unreachable: %d %s", rec.Code, rec.Body)
	}
	if rec := a.do("GET", "/v1/agent/join/10.0.0.2", ""); rec.Code != 405 {
		t.Fatalf("GET join: %d", rec.Code)
	}
	a.mustDo("PUT", "/v1/agent/leave", "")
	m := a.srv.members.(*fakeMembers)
	if len(m.joined) != 1 || m.joined[0] != "10.0.0.2:8301" || !m.left {
		t.Fatalf("fake saw joined=%v left=%v", m.joined, m.left)
	}
	var conf struct {
		Servers []RaftServer
		Index   uint64
	}
	if err := json.Unmarshal(a.mustDo("GET", "/v1/operator/raft/configuration", "").Body.Bytes(), &conf); err != nil || len(conf.Servers) != 1 || !conf.Servers[0].Leader {
		t.Fatalf("raft configuration = %+v %v", conf, err)
	}
	var self map[string]map[string]any
	if err := json.Unmarshal(a.mustDo("GET", "/v1/agent/self", "").Body.Bytes(), &self); err != nil || self["Config"]["NodeName"] != "n1" || self["Stats"]["raft"] == nil {
		t.Fatalf("self = %v %v", self, err)
	}
}

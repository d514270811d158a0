package dnsserver

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/rosterhq/roster/registry"
)

// catalog is a real registry.Store changed only by applying commands, as
// Raft would apply them.
type catalog struct {
	t     testing.TB
	store *registry.Store
	index uint64
}

func newTestCatalog(t testing.TB) *catalog {
	t.Helper()
	return &catalog{t: t, store: registry.NewStore(nil)}
}

// apply encodes and applies cmd and fails the test if it is rejected.
func (c *catalog) apply(cmd registry.Command) {
	c.t.Helper()
	b, err := registry.Encode(cmd)
	if err != nil {
		c.t.Fatalf("encode %T: %v", cmd, err)
	}
	c.index++
	if res := c.store.Apply(c.index, b); res.Err != nil {
		c.t.Fatalf("apply %T: %v", cmd, res.Err)
	}
}

// instance describes a registration. Zero weight means 1; health "" means
// no check (passing).
type instance struct {
	node, nodeAddr string
	id, service    string
	addr           string
	port           int
	tags           []string
	weight         int
	warnWeight     int
	health         registry.Health
}

func (c *catalog) node(name, addr string) {
	c.t.Helper()
	c.apply(&registry.RegisterNode{Node: registry.Node{Name: name, Address: addr}})
}

func (c *catalog) add(in instance) {
	c.t.Helper()
	w := registry.Weights{Passing: in.weight, Warning: in.warnWeight}
	if w.Passing == 0 {
		w.Passing = 1
	}
	if w.Warning == 0 {
		w.Warning = 1
	}
	reg := &registry.RegisterService{
		Node: registry.Node{Name: in.node, Address: in.nodeAddr},
		Instance: registry.Instance{ID: in.id, Name: in.service, Address: in.addr, Port: in.port,
			Tags: in.tags, Weights: w},
	}
	if in.health != "" {
		reg.Checks = []registry.Check{{CheckID: "check:" + in.id, Name: "ttl", Status: in.health,
			Type: registry.CheckTypeTTL, Definition: registry.CheckDefinition{TTL: time.Minute}}}
	}
	c.apply(reg)
}

func (c *catalog) setHealth(node, id string, h registry.Health) {
	c.t.Helper()
	c.apply(&registry.UpdateCheck{Node: node, CheckID: "check:" + id, Status: h})
}

// newTestServer returns a server on cat with deterministic rotations (every
// rotation starts at phase 0) and a fixed SOA serial.
func newTestServer(t testing.TB, cat Catalog, opts ...func(*Config)) *Server {
	t.Helper()
	cfg := DefaultConfig()
	cfg.SOASerial = 1
	for _, o := range opts {
		o(&cfg)
	}
	s, err := New(cfg, cat)
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	s.randIntN = func(int) int { return 0 }
	return s
}

// fixture registers the catalog the case tables and golden files share:
//
//	web:     web-1 n1 (node addr 10.0.0.1) :8080 [v1] w5
//	         web-2 n2 own addr 10.0.1.2    :8081 [v2] w1
//	         web-3 n3 (node addr 2001:db8::3) :8082 [v2] w1
//	db:      db-1  n1 host db.example.com  :5432
//	v6:      v6-1  n3 :9000
//	crit:    crit-1 n1 critical
//	warn:    warn-1 n1 warning [w] (weights 4/2), warn-2 n2 passing [ok]
func fixture(t testing.TB) *catalog {
	t.Helper()
	c := newTestCatalog(t)
	c.node("n1", "10.0.0.1")
	c.node("n2", "10.0.0.2")
	c.node("n3", "2001:db8::3")
	c.add(instance{node: "n1", id: "web-1", service: "web", port: 8080, tags: []string{"v1"}, weight: 5})
	c.add(instance{node: "n2", id: "web-2", service: "web", addr: "10.0.1.2", port: 8081, tags: []string{"v2"}})
	c.add(instance{node: "n3", id: "web-3", service: "web", port: 8082, tags: []string{"V2"}})
	c.add(instance{node: "n1", id: "db-1", service: "db", addr: "db.example.com", port: 5432})
	c.add(instance{node: "n3", id: "v6-1", service: "v6", port: 9000})
	c.add(instance{node: "n1", id: "crit-1", service: "crit", port: 1, health: registry.HealthCritical})
	c.add(instance{node: "n1", id: "warn-1", service: "warn", port: 1, tags: []string{"w"}, weight: 4, warnWeight: 2,
		health: registry.HealthWarning})
	c.add(instance{node: "n2", id: "warn-2", service: "warn", port: 2, tags: []string{"ok"}})
	return c
}

// query returns a query message for name and type, without EDNS0.
func query(name string, qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.Id = 4242
	return m
}

// ednsQuery is query with an OPT record advertising size.
func ednsQuery(name string, qtype uint16, size uint16) *dns.Msg {
	m := query(name, qtype)
	m.SetEdns0(size, false)
	return m
}

// rr parses a record written as a zone file line.
func rr(t testing.TB, s string) dns.RR {
	t.Helper()
	r, err := dns.NewRR(s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return r
}

func rrs(t testing.TB, lines ...string) []dns.RR {
	t.Helper()
	var out []dns.RR
	for _, l := range lines {
		out = append(out, rr(t, l))
	}
	return out
}

// checkSection compares a section record by record in presentation format.
// OPT records are skipped: the cases check EDNS separately.
func checkSection(t testing.TB, section string, got, want []dns.RR) {
	t.Helper()
	var g []string
	for _, r := range got {
		if r.Header().Rrtype != dns.TypeOPT {
			g = append(g, r.String())
		}
	}
	var w []string
	for _, r := range want {
		w = append(w, r.String())
	}
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Errorf("%s section:\n got: %s\nwant: %s", section, strings.Join(g, "\n      "), strings.Join(w, "\n      "))
	}
}

// packLen is the length of m on the wire, as it would be sent.
func packLen(t testing.TB, m *dns.Msg) int {
	t.Helper()
	b, err := m.Pack()
	if err != nil {
		t.Fatalf("pack: %v", err)
	}
	return len(b)
}

func rcodeName(rc int) string {
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return fmt.Sprint(rc)
}

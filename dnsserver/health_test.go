package dnsserver

import (
	"slices"
	"sort"
	"testing"

	"github.com/miekg/dns"

	"github.com/rosterhq/roster/registry"
)

// srvAnswer returns "target weight" of every SRV record, sorted, and the rcode.
func srvAnswer(t *testing.T, s *Server, qname string) ([]string, int) {
	t.Helper()
	resp := s.answer(query(qname, dns.TypeSRV), true)
	var out []string
	for _, r := range resp.Answer {
		srv, ok := r.(*dns.SRV)
		if !ok {
			t.Fatalf("non-SRV answer %v", r)
		}
		out = append(out, rdata(srv))
	}
	sort.Strings(out)
	return out, resp.Rcode
}

func TestHealthFiltering(t *testing.T) {
	c := newTestCatalog(t)
	c.add(instance{node: "n1", nodeAddr: "10.0.0.1", id: "a", service: "api", port: 1, weight: 3, warnWeight: 1, health: registry.HealthPassing})
	c.add(instance{node: "n2", nodeAddr: "10.0.0.2", id: "b", service: "api", port: 2, health: registry.HealthPassing})
	s := newTestServer(t, c.store)
	strict := newTestServer(t, c.store, func(cfg *Config) { cfg.OnlyPassing = true })

	steps := []struct {
		name   string
		change func()
		want   []string // "weight port target" of the SRV answer
		strict []string // the same with OnlyPassing
	}{
		{"both passing", func() {},
			[]string{"1 2 n2.node.roster.", "3 1 n1.node.roster."},
			[]string{"1 2 n2.node.roster.", "3 1 n1.node.roster."}},
		{"a critical", func() { c.setHealth("n1", "a", registry.HealthCritical) },
			[]string{"1 2 n2.node.roster."},
			[]string{"1 2 n2.node.roster."}},
		{"a warning: its warning weight", func() { c.setHealth("n1", "a", registry.HealthWarning) },
			[]string{"1 1 n1.node.roster.", "1 2 n2.node.roster."},
			[]string{"1 2 n2.node.roster."}},
		{"a passing again", func() { c.setHealth("n1", "a", registry.HealthPassing) },
			[]string{"1 2 n2.node.roster.", "3 1 n1.node.roster."},
			[]string{"1 2 n2.node.roster.", "3 1 n1.node.roster."}},
		{"n2 down by gossip", func() { c.store.SetNodeDown("n2", true) },
			[]string{"3 1 n1.node.roster."},
			[]string{"3 1 n1.node.roster."}},
		{"n2 failed through raft too, n1 warning", func() {
			c.apply(&registry.RegisterNode{Node: registry.Node{Name: "n2", Address: "10.0.0.2"}, Health: registry.HealthCritical})
			c.store.SetNodeDown("n2", false)
			c.setHealth("n1", "a", registry.HealthWarning)
		}, []string{"1 1 n1.node.roster."}, nil},
		{"n1 critical: nothing healthy", func() { c.setHealth("n1", "a", registry.HealthCritical) }, nil, nil},
		{"n2 back", func() {
			c.apply(&registry.RegisterNode{Node: registry.Node{Name: "n2", Address: "10.0.0.2"}, Health: registry.HealthPassing})
		}, []string{"1 2 n2.node.roster."}, []string{"1 2 n2.node.roster."}},
	}
	for _, st := range steps {
		st.change()
		for _, srv := range []struct {
			name string
			s    *Server
			want []string
		}{{"default", s, st.want}, {"only passing", strict, st.strict}} {
			got, rcode := srvAnswer(t, srv.s, "api.service.roster.")
			wantRcode := dns.RcodeSuccess
			if len(srv.want) == 0 {
				wantRcode = dns.RcodeNameError // no healthy instance: the name does not exist
			}
			if !slices.Equal(got, srv.want) || rcode != wantRcode {
				t.Errorf("%s, %s: SRV = %v %s, want %v %s", st.name, srv.name, got, rcodeName(rcode), srv.want, rcodeName(wantRcode))
			}
		}
	}
}

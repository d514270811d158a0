package agent_test

import (
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"
	"github.com/miekg/dns"

	"github.com/rosterhq/roster/agent"
	"github.com/rosterhq/roster/agent/agenttest"
)

func query(t *testing.T, a *agent.Agent, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	c := &dns.Client{Timeout: 2 * time.Second}
	r, _, err := c.Exchange(m, a.DNSAddr())
	if err != nil {
		t.Fatalf("query %s: %v", name, err)
	}
	return r
}

func answerIPs(r *dns.Msg) []string {
	var out []string
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			out = append(out, a.A.String())
		}
	}
	sort.Strings(out)
	return out
}

// TestDNSServesRegistrationsAndFollowsHealth registers through HTTP and
// reads through DNS on the same agent, including a check that fails.
func TestDNSServesRegistrationsAndFollowsHealth(t *testing.T) {
	a := agenttest.Start(t, agenttest.Config(t, "n1", t.TempDir()))
	srv, code := flipServer(t)
	code.Store(http.StatusOK)
	client, _ := api.NewClient(&api.Config{Address: a.HTTPAddr()})
	for _, reg := range []*api.AgentServiceRegistration{
		{ID: "web-1", Name: "web", Address: "10.0.0.1", Port: 8080, Tags: []string{"v1"}},
		{ID: "web-2", Name: "web", Address: "10.0.0.2", Port: 8081,
			Check: &api.AgentServiceCheck{HTTP: srv.URL, Interval: "1s", Timeout: "500ms", Status: api.HealthPassing}},
	} {
		if err := client.Agent().ServiceRegister(reg); err != nil {
			t.Fatal(err)
		}
	}
	// Read-your-write: the registration is in DNS when the PUT returns.
	if got := answerIPs(query(t, a, "web.service.roster", dns.TypeA)); len(got) != 2 || got[0] != "10.0.0.1" || got[1] != "10.0.0.2" {
		t.Fatalf("A web = %v", got)
	}
	r := query(t, a, "_web._tcp.service.roster", dns.TypeSRV)
	if len(r.Answer) != 2 || len(r.Extra) != 2 || !r.Authoritative {
		t.Fatalf("SRV = %v", r)
	}
	if got := answerIPs(query(t, a, "v1.web.service.roster", dns.TypeA)); len(got) != 1 || got[0] != "10.0.0.1" {
		t.Fatalf("A v1.web = %v", got)
	}
	if r := query(t, a, "nosuch.service.roster", dns.TypeA); r.Rcode != dns.RcodeNameError || len(r.Ns) != 1 {
		t.Fatalf("nosuch = %v", r)
	}
	if r := query(t, a, "n1.node.roster", dns.TypeA); len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != "127.0.0.1" {
		t.Fatalf("node = %v", r)
	}

	// The check fails: web-2 leaves DNS within an interval or so.
	code.Store(http.StatusInternalServerError)
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := answerIPs(query(t, a, "web.service.roster", dns.TypeA))
		if len(got) == 1 && got[0] == "10.0.0.1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("critical instance still answered: %v", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

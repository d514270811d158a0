package dnsserver

import (
	"testing"

	"github.com/miekg/dns"

	"github.com/rosterhq/roster/registry"
)

const soa = "roster. 5 IN SOA ns.roster. hostmaster.roster. 1 3600 600 86400 5"

// answerCase is one query against a fresh server on the fixture, so the
// first answer of every rotation is deterministic (phase 0).
type answerCase struct {
	name  string
	qname string
	qtype uint16
	cfg   func(*Config)
	rcode int
	// Records in zone-file form; compared in order.
	answer, ns, extra []string
}

func TestAnswerNames(t *testing.T) {
	withNode := func(c *Config) { c.NodeName = "n1" }
	cases := []answerCase{
		{name: "service A in WRR order", qname: "web.service.roster.", qtype: dns.TypeA, answer: []string{
			"web.service.roster. 5 IN A 10.0.0.1",
			"web.service.roster. 5 IN A 10.0.1.2"}},
		{name: "case is echoed in owner names", qname: "WEB.Service.ROSTER.", qtype: dns.TypeA, answer: []string{
			"WEB.Service.ROSTER. 5 IN A 10.0.0.1",
			"WEB.Service.ROSTER. 5 IN A 10.0.1.2"}},
		{name: "service AAAA", qname: "web.service.roster.", qtype: dns.TypeAAAA, answer: []string{
			"web.service.roster. 5 IN AAAA 2001:db8::3"}},
		{name: "service ANY lists both families", qname: "web.service.roster.", qtype: dns.TypeANY, answer: []string{
			"web.service.roster. 5 IN A 10.0.0.1",
			"web.service.roster. 5 IN A 10.0.1.2",
			"web.service.roster. 5 IN AAAA 2001:db8::3"}},
		{name: "service SRV with targets and glue", qname: "web.service.roster.", qtype: dns.TypeSRV, answer: []string{
			"web.service.roster. 5 IN SRV 1 5 8080 n1.node.roster.",
			"web.service.roster. 5 IN SRV 1 1 8081 0a000102.addr.roster.",
			"web.service.roster. 5 IN SRV 1 1 8082 n3.node.roster."}, extra: []string{
			"n1.node.roster. 30 IN A 10.0.0.1",
			"0a000102.addr.roster. 5 IN A 10.0.1.2",
			"n3.node.roster. 30 IN AAAA 2001:db8::3"}},
		{name: "RFC 2782 _tcp is the plain service", qname: "_web._tcp.service.roster.", qtype: dns.TypeSRV, answer: []string{
			"_web._tcp.service.roster. 5 IN SRV 1 5 8080 n1.node.roster.",
			"_web._tcp.service.roster. 5 IN SRV 1 1 8081 0a000102.addr.roster.",
			"_web._tcp.service.roster. 5 IN SRV 1 1 8082 n3.node.roster."}, extra: []string{
			"n1.node.roster. 30 IN A 10.0.0.1",
			"0a000102.addr.roster. 5 IN A 10.0.1.2",
			"n3.node.roster. 30 IN AAAA 2001:db8::3"}},
		{name: "RFC 2782 ANY is SRV", qname: "_web._v1.service.roster.", qtype: dns.TypeANY, answer: []string{
			"_web._v1.service.roster. 5 IN SRV 1 5 8080 n1.node.roster."}, extra: []string{
			"n1.node.roster. 30 IN A 10.0.0.1"}},
		{name: "tag A", qname: "v2.web.service.roster.", qtype: dns.TypeA, answer: []string{
			"v2.web.service.roster. 5 IN A 10.0.1.2"}},
		{name: "tag matching ignores case", qname: "V2.web.service.roster.", qtype: dns.TypeAAAA, answer: []string{
			"V2.web.service.roster. 5 IN AAAA 2001:db8::3"}},
		{name: "RFC 2782 tag SRV", qname: "_web._v2.service.roster.", qtype: dns.TypeSRV, answer: []string{
			"_web._v2.service.roster. 5 IN SRV 1 1 8081 0a000102.addr.roster.",
			"_web._v2.service.roster. 5 IN SRV 1 1 8082 n3.node.roster."}, extra: []string{
			"0a000102.addr.roster. 5 IN A 10.0.1.2",
			"n3.node.roster. 30 IN AAAA 2001:db8::3"}},
		{name: "host name address: A is a CNAME", qname: "db.service.roster.", qtype: dns.TypeA, answer: []string{
			"db.service.roster. 5 IN CNAME db.example.com."}},
		{name: "host name address: SRV targets it, no glue", qname: "db.service.roster.", qtype: dns.TypeSRV, answer: []string{
			"db.service.roster. 5 IN SRV 1 1 5432 db.example.com."}},
		{name: "warning instance keeps its warning weight", qname: "warn.service.roster.", qtype: dns.TypeSRV, answer: []string{
			"warn.service.roster. 5 IN SRV 1 2 1 n1.node.roster.",
			"warn.service.roster. 5 IN SRV 1 1 2 n2.node.roster."}, extra: []string{
			"n1.node.roster. 30 IN A 10.0.0.1",
			"n2.node.roster. 30 IN A 10.0.0.2"}},
		{name: "only passing hides warning instances", qname: "warn.service.roster.", qtype: dns.TypeA,
			cfg: func(c *Config) { c.OnlyPassing = true }, answer: []string{
				"warn.service.roster. 5 IN A 10.0.0.2"}},
		{name: "A limit", qname: "web.service.roster.", qtype: dns.TypeA, cfg: func(c *Config) { c.ALimit = 1 }, answer: []string{
			"web.service.roster. 5 IN A 10.0.0.1"}},
		{name: "A limit does not cap SRV", qname: "_web._v2.service.roster.", qtype: dns.TypeSRV, cfg: func(c *Config) { c.ALimit = 1 }, answer: []string{
			"_web._v2.service.roster. 5 IN SRV 1 1 8081 0a000102.addr.roster.",
			"_web._v2.service.roster. 5 IN SRV 1 1 8082 n3.node.roster."}, extra: []string{
			"0a000102.addr.roster. 5 IN A 10.0.1.2",
			"n3.node.roster. 30 IN AAAA 2001:db8::3"}},
		{name: "node A", qname: "n1.node.roster.", qtype: dns.TypeA, answer: []string{"n1.node.roster. 30 IN A 10.0.0.1"}},
		{name: "node AAAA", qname: "N3.node.roster.", qtype: dns.TypeAAAA, answer: []string{"N3.node.roster. 30 IN AAAA 2001:db8::3"}},
		{name: "addr A", qname: "0a000102.addr.roster.", qtype: dns.TypeA, answer: []string{"0a000102.addr.roster. 5 IN A 10.0.1.2"}},
		{name: "addr AAAA", qname: "20010DB8000000000000000000000003.addr.roster.", qtype: dns.TypeAAAA, answer: []string{
			"20010DB8000000000000000000000003.addr.roster. 5 IN AAAA 2001:db8::3"}},
		{name: "apex SOA", qname: "roster.", qtype: dns.TypeSOA, answer: []string{soa}},
		{name: "apex NS", qname: "Roster.", qtype: dns.TypeNS, answer: []string{"roster. 30 IN NS ns.roster."}},
		{name: "apex NS with the agent's address", qname: "roster.", qtype: dns.TypeNS, cfg: withNode,
			answer: []string{"roster. 30 IN NS ns.roster."}, extra: []string{"ns.roster. 30 IN A 10.0.0.1"}},
		{name: "apex ANY", qname: "roster.", qtype: dns.TypeANY, answer: []string{soa, "roster. 30 IN NS ns.roster."}},
		{name: "ns A is the agent's node", qname: "ns.roster.", qtype: dns.TypeA, cfg: withNode, answer: []string{
			"ns.roster. 30 IN A 10.0.0.1"}},
		{name: "other domain", qname: "web.service.consul.", qtype: dns.TypeA, cfg: func(c *Config) { c.Domain = "Consul" }, answer: []string{
			"web.service.consul. 5 IN A 10.0.0.1",
			"web.service.consul. 5 IN A 10.0.1.2"}},
	}
	runAnswerCases(t, cases)
}

func TestAnswerNegatives(t *testing.T) {
	cases := []answerCase{
		{name: "unknown service", qname: "nosuch.service.roster.", qtype: dns.TypeA, rcode: dns.RcodeNameError, ns: []string{soa}},
		{name: "unknown tag", qname: "v9.web.service.roster.", qtype: dns.TypeA, rcode: dns.RcodeNameError, ns: []string{soa}},
		{name: "unknown RFC 2782 tag", qname: "_web._v9.service.roster.", qtype: dns.TypeSRV, rcode: dns.RcodeNameError, ns: []string{soa}},
		{name: "only critical instances", qname: "crit.service.roster.", qtype: dns.TypeA, rcode: dns.RcodeNameError, ns: []string{soa}},
		{name: "only critical instances, other type", qname: "crit.service.roster.", qtype: dns.TypeTXT, rcode: dns.RcodeNameError, ns: []string{soa}},
		{name: "only passing, domain given without its dot", qname: "warn.service.roster.", qtype: dns.TypeA,
			cfg: func(c *Config) { c.OnlyPassing = true; c.Domain = "roster" }, rcode: dns.RcodeSuccess, answer: []string{
				"warn.service.roster. 5 IN A 10.0.0.2"}},
		{name: "tag only on warning instances with only passing", qname: "w.warn.service.roster.", qtype: dns.TypeA,
			cfg: func(c *Config) { c.OnlyPassing = true }, rcode: dns.RcodeNameError, ns: []string{soa}},
		{name: "unknown node", qname: "n9.node.roster.", qtype: dns.TypeA, rcode: dns.RcodeNameError, ns: []string{soa}},
		{name: "bad addr label", qname: "0a00010.addr.roster.", qtype: dns.TypeA, rcode: dns.RcodeNameError, ns: []string{soa}},
		{name: "non-hex addr label", qname: "0a00010z.addr.roster.", qtype: dns.TypeA, rcode: dns.RcodeNameError, ns: []string{soa}},
		{name: "unknown kind", qname: "web.nothing.roster.", qtype: dns.TypeA, rcode: dns.RcodeNameError, ns: []string{soa}},
		{name: "too many labels", qname: "a.b.web.service.roster.", qtype: dns.TypeA, rcode: dns.RcodeNameError, ns: []string{soa}},
		{name: "escaped dot in the zone", qname: `a\.b.service.roster.`, qtype: dns.TypeA, rcode: dns.RcodeNameError, ns: []string{soa}},
		{name: "service has only IPv6: A is NODATA", qname: "v6.service.roster.", qtype: dns.TypeA, ns: []string{soa}},
		{name: "service has only IPv4 for the tag: AAAA is NODATA", qname: "v1.web.service.roster.", qtype: dns.TypeAAAA, ns: []string{soa}},
		{name: "service, other type", qname: "web.service.roster.", qtype: dns.TypeTXT, ns: []string{soa}},
		{name: "RFC 2782 name, A", qname: "_web._tcp.service.roster.", qtype: dns.TypeA, ns: []string{soa}},
		{name: "node, other family", qname: "n1.node.roster.", qtype: dns.TypeAAAA, ns: []string{soa}},
		{name: "addr, other family", qname: "0a000102.addr.roster.", qtype: dns.TypeAAAA, ns: []string{soa}},
		{name: "apex, A", qname: "roster.", qtype: dns.TypeA, ns: []string{soa}},
		{name: "ns without a node name", qname: "ns.roster.", qtype: dns.TypeA, ns: []string{soa}},
		{name: "empty non-terminal service.", qname: "service.roster.", qtype: dns.TypeA, ns: []string{soa}},
		{name: "empty non-terminal _tcp.service.", qname: "_tcp.service.roster.", qtype: dns.TypeSRV, ns: []string{soa}},
		{name: "outside the domain", qname: "example.com.", qtype: dns.TypeA, rcode: dns.RcodeRefused},
		{name: "suffix that is not a label", qname: "xroster.", qtype: dns.TypeA, rcode: dns.RcodeRefused},
		{name: "domain as a middle label", qname: "web.service.roster.example.", qtype: dns.TypeA, rcode: dns.RcodeRefused},
		{name: "escaped dot before the domain", qname: `a\.roster.`, qtype: dns.TypeA, rcode: dns.RcodeRefused},
		{name: "root", qname: ".", qtype: dns.TypeNS, rcode: dns.RcodeRefused},
		{name: "zone transfer", qname: "roster.", qtype: dns.TypeAXFR, rcode: dns.RcodeRefused},
	}
	runAnswerCases(t, cases)
}

func runAnswerCases(t *testing.T, cases []answerCase) {
	t.Helper()
	cat := fixture(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var opts []func(*Config)
			if tc.cfg != nil {
				opts = append(opts, tc.cfg)
			}
			s := newTestServer(t, cat.store, opts...)
			req := query(tc.qname, tc.qtype)
			resp := s.answer(req, true)
			if resp == nil {
				t.Fatal("no reply")
			}
			if resp.Rcode != tc.rcode {
				t.Errorf("rcode = %s, want %s", rcodeName(resp.Rcode), rcodeName(tc.rcode))
			}
			if wantAA := tc.rcode != dns.RcodeRefused; resp.Authoritative != wantAA {
				t.Errorf("AA = %v, want %v", resp.Authoritative, wantAA)
			}
			if resp.Id != req.Id || !resp.Response || resp.Truncated || resp.RecursionAvailable {
				t.Errorf("header: %+v", resp.MsgHdr)
			}
			if len(resp.Question) != 1 || resp.Question[0] != req.Question[0] {
				t.Errorf("question = %v, want %v", resp.Question, req.Question)
			}
			checkSection(t, "answer", resp.Answer, rrs(t, tc.answer...))
			checkSection(t, "authority", resp.Ns, rrs(t, tc.ns...))
			checkSection(t, "additional", resp.Extra, rrs(t, tc.extra...))
		})
	}
}

func TestAnswerHeaderErrors(t *testing.T) {
	cat := fixture(t)
	s := newTestServer(t, cat.store)
	twoOPT := ednsQuery("web.service.roster.", dns.TypeA, 1232)
	twoOPT.Extra = append(twoOPT.Extra, twoOPT.Extra[0])
	badVers := ednsQuery("web.service.roster.", dns.TypeA, 1232)
	badVers.Extra[0].(*dns.OPT).SetVersion(1)
	notify := query("roster.", dns.TypeSOA)
	notify.Opcode = dns.OpcodeNotify
	update := query("roster.", dns.TypeSOA)
	update.Opcode = dns.OpcodeUpdate
	noQuestion := query("roster.", dns.TypeSOA)
	noQuestion.Question = nil
	twoQuestions := query("roster.", dns.TypeSOA)
	twoQuestions.Question = append(twoQuestions.Question, dns.Question{Name: "web.service.roster.", Qtype: dns.TypeA, Qclass: dns.ClassINET})
	chaos := query("version.bind.", dns.TypeTXT)
	chaos.Question[0].Qclass = dns.ClassCHAOS

	cases := []struct {
		name      string
		req       *dns.Msg
		rcode     int
		questions int
		opt       bool
	}{
		{"NOTIFY is not implemented", notify, dns.RcodeNotImplemented, 1, false},
		{"UPDATE is not implemented", update, dns.RcodeNotImplemented, 1, false},
		{"QDCOUNT 0", noQuestion, dns.RcodeFormatError, 0, false},
		{"QDCOUNT 2", twoQuestions, dns.RcodeFormatError, 0, false},
		{"two OPT records", twoOPT, dns.RcodeFormatError, 1, false},
		{"EDNS version 1", badVers, dns.RcodeBadVers, 1, true},
		{"CHAOS class", chaos, dns.RcodeRefused, 1, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := s.answer(tc.req, true)
			if resp == nil {
				t.Fatal("no reply")
			}
			if resp.Rcode != tc.rcode {
				t.Errorf("rcode = %s, want %s", rcodeName(resp.Rcode), rcodeName(tc.rcode))
			}
			if resp.Opcode != tc.req.Opcode || resp.Id != tc.req.Id || len(resp.Answer) != 0 {
				t.Errorf("reply %v", resp)
			}
			if len(resp.Question) != tc.questions {
				t.Errorf("%d questions echoed, want %d", len(resp.Question), tc.questions)
			}
			if opt := resp.IsEdns0(); (opt != nil) != tc.opt || opt != nil && opt.Version() != 0 {
				t.Errorf("OPT = %v, want one: %v", opt, tc.opt)
			}
			// Every reply must pack (BADVERS needs the OPT for its upper bits).
			b, err := resp.Pack()
			if err != nil {
				t.Fatalf("pack: %v", err)
			}
			var back dns.Msg
			if err := back.Unpack(b); err != nil || back.Rcode != tc.rcode {
				t.Fatalf("unpacked rcode %s (%v), want %s", rcodeName(back.Rcode), err, rcodeName(tc.rcode))
			}
		})
	}

	resp := query("web.service.roster.", dns.TypeA)
	resp.Response = true
	if got := s.answer(resp, true); got != nil {
		t.Errorf("a response was answered: %v", got)
	}
}

func TestAnswerEDNS(t *testing.T) {
	cat := fixture(t)
	s := newTestServer(t, cat.store)

	plain := s.answer(query("web.service.roster.", dns.TypeA), true)
	if plain.IsEdns0() != nil {
		t.Errorf("OPT in a reply to a query without one: %v", plain)
	}

	req := ednsQuery("web.service.roster.", dns.TypeA, 4096)
	req.Extra[0].(*dns.OPT).SetDo()
	req.Extra[0].(*dns.OPT).Option = []dns.EDNS0{&dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"}}
	resp := s.answer(req, true)
	opt := resp.IsEdns0()
	if opt == nil {
		t.Fatalf("no OPT echoed: %v", resp)
	}
	if opt.UDPSize() != 1232 || opt.Version() != 0 || !opt.Do() || len(opt.Option) != 0 {
		t.Errorf("OPT = %v; want size 1232 (ours), version 0, DO copied, no options", opt)
	}
	if n := len(resp.Answer); n != 2 {
		t.Errorf("%d answers with EDNS, want 2", n)
	}
}

func TestSRVWeightsAndTargets(t *testing.T) {
	c := newTestCatalog(t)
	c.add(instance{node: "n1", nodeAddr: "10.0.0.1", id: "heavy", service: "w", port: 1, weight: 70000})
	c.apply(&registry.RegisterService{
		Node:     registry.Node{Name: "n2", Address: "10.0.0.2"},
		Instance: registry.Instance{ID: "idle", Name: "w", Port: 2, Weights: registry.Weights{Passing: 0, Warning: 0}},
	})
	// A node name that is not one DNS label cannot be a <node>.node
	// target; the instance gets an addr target instead.
	c.add(instance{node: "host.example", nodeAddr: "10.0.0.3", id: "dotted", service: "w", port: 3})
	s := newTestServer(t, c.store)
	resp := s.answer(query("w.service.roster.", dns.TypeSRV), true)
	checkSection(t, "answer", resp.Answer, rrs(t,
		"w.service.roster. 5 IN SRV 1 65535 1 n1.node.roster.",
		"w.service.roster. 5 IN SRV 1 1 3 0a000003.addr.roster.",
		"w.service.roster. 5 IN SRV 1 0 2 n2.node.roster."))
	checkSection(t, "additional", resp.Extra, rrs(t,
		"n1.node.roster. 30 IN A 10.0.0.1",
		"0a000003.addr.roster. 5 IN A 10.0.0.3",
		"n2.node.roster. 30 IN A 10.0.0.2"))
}

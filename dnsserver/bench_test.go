package dnsserver

import (
	"fmt"
	"net"
	"testing"

	"github.com/miekg/dns"
)

// benchCatalog registers "web" (weights 5, 1, 1, tags v1/v2) among others
// instances of other services.
func benchCatalog(b *testing.B, others int) *catalog {
	b.Helper()
	c := newTestCatalog(b)
	for i, w := range []int{5, 1, 1} {
		tag := "v1"
		if i > 0 {
			tag = "v2"
		}
		c.add(instance{node: fmt.Sprintf("web%d", i), nodeAddr: fmt.Sprintf("10.0.0.%d", i+1), id: fmt.Sprintf("web-%d", i),
			service: "web", port: 8080, weight: w, tags: []string{tag}})
	}
	for i := range others {
		c.add(instance{node: fmt.Sprintf("other%d", i%100), nodeAddr: "10.1.0.1", id: fmt.Sprintf("o-%d", i),
			service: fmt.Sprintf("svc%d", i), addr: fmt.Sprintf("10.2.%d.%d", i/250%250, i%250+1), port: 80})
	}
	return c
}

func benchAnswer(b *testing.B, qname string, qtype uint16, wantRcode int) {
	s := newTestServer(b, benchCatalog(b, 1000).store)
	req := query(qname, qtype)
	if resp := s.answer(req, true); resp.Rcode != wantRcode {
		b.Fatalf("rcode %s, want %s", rcodeName(resp.Rcode), rcodeName(wantRcode))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.answer(req, true)
	}
}

func BenchmarkAnswerA(b *testing.B) {
	benchAnswer(b, "web.service.roster.", dns.TypeA, dns.RcodeSuccess)
}

func BenchmarkAnswerSRV(b *testing.B) {
	benchAnswer(b, "_web._tcp.service.roster.", dns.TypeSRV, dns.RcodeSuccess)
}

func BenchmarkAnswerTag(b *testing.B) {
	benchAnswer(b, "v2.web.service.roster.", dns.TypeA, dns.RcodeSuccess)
}

func BenchmarkAnswerNXDOMAIN(b *testing.B) {
	benchAnswer(b, "nosuch.service.roster.", dns.TypeA, dns.RcodeNameError)
}

func BenchmarkAnswerUpperCase(b *testing.B) {
	benchAnswer(b, "WEB.service.roster.", dns.TypeA, dns.RcodeSuccess)
}

// BenchmarkServeDNS is the whole handler: answer, pack into a pooled
// buffer, write. Compare BenchmarkBareServeDNS, a handler that answers
// prebuilt records from a map, as the load tool's baseline does.
func BenchmarkServeDNS(b *testing.B) {
	s := newTestServer(b, benchCatalog(b, 1000).store)
	req := query("web.service.roster.", dns.TypeA)
	w := &discardWriter{}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.ServeDNS(w, req)
		}
	})
}

func BenchmarkBareServeDNS(b *testing.B) {
	records := map[string][]dns.RR{"web.service.roster.": {
		rr(b, "web.service.roster. 5 IN A 10.0.0.1"), rr(b, "web.service.roster. 5 IN A 10.0.0.2"), rr(b, "web.service.roster. 5 IN A 10.0.0.3")}}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		m.Authoritative = true
		m.Answer = records[req.Question[0].Name]
		w.WriteMsg(m)
	})
	req := query("web.service.roster.", dns.TypeA)
	w := &discardWriter{}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			h.ServeDNS(w, req)
		}
	})
}

// discardWriter is a dns.ResponseWriter on UDP that drops what it is given.
type discardWriter struct{}

var benchAddr = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53}

func (*discardWriter) LocalAddr() net.Addr  { return benchAddr }
func (*discardWriter) RemoteAddr() net.Addr { return benchAddr }
func (*discardWriter) WriteMsg(m *dns.Msg) error {
	_, err := m.Pack()
	return err
}
func (*discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (*discardWriter) Close() error                { return nil }
func (*discardWriter) TsigStatus() error           { return nil }
func (*discardWriter) TsigTimersOnly(bool)         {}
func (*discardWriter) Hijack()                     {}

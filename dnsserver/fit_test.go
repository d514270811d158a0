package dnsserver

import (
	"fmt"
	"testing"

	"github.com/miekg/dns"
)

// bigService registers n instances of "big", each on its own node with an
// address of its own (IPv4, or IPv6 when v6).
func bigService(t testing.TB, c *catalog, n int, v6 bool) {
	t.Helper()
	for i := range n {
		addr := fmt.Sprintf("10.1.%d.%d", i/250, i%250+1)
		if v6 {
			addr = fmt.Sprintf("2001:db8::%x", i+1)
		}
		c.add(instance{node: fmt.Sprintf("node%03d", i), nodeAddr: "10.9.9.9", id: fmt.Sprintf("big-%d", i),
			service: "big", addr: addr, port: 9000 + i})
	}
}

func TestTruncation(t *testing.T) {
	c := newTestCatalog(t)
	bigService(t, c, 200, false)
	s := newTestServer(t, c.store)
	s.cfg.UDPSize = 1232

	cases := []struct {
		name      string
		req       *dns.Msg
		udp       bool
		limit     int
		truncated bool
	}{
		{"UDP without EDNS", query("big.service.roster.", dns.TypeA), true, 512, true},
		{"UDP with EDNS 1232", ednsQuery("big.service.roster.", dns.TypeA, 1232), true, 1232, true},
		{"UDP with EDNS 4096 capped at the configured 1232", ednsQuery("big.service.roster.", dns.TypeA, 4096), true, 1232, true},
		{"UDP with EDNS below 512 counts as 512", ednsQuery("big.service.roster.", dns.TypeA, 100), true, 512, true},
		{"SRV over UDP", ednsQuery("big.service.roster.", dns.TypeSRV, 1232), true, 1232, true},
		{"TCP returns all", query("big.service.roster.", dns.TypeA), false, dns.MaxMsgSize, false},
		{"SRV over TCP returns all with glue", query("big.service.roster.", dns.TypeSRV), false, dns.MaxMsgSize, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := s.answer(tc.req, tc.udp)
			b, err := resp.Pack()
			if err != nil {
				t.Fatalf("pack: %v", err)
			}
			if len(b) > tc.limit {
				t.Fatalf("reply is %d bytes, limit %d", len(b), tc.limit)
			}
			var got dns.Msg
			if err := got.Unpack(b); err != nil {
				t.Fatalf("reply does not unpack (a record was cut?): %v", err)
			}
			if got.Truncated != tc.truncated {
				t.Fatalf("TC = %v, want %v", got.Truncated, tc.truncated)
			}
			if got.Rcode != dns.RcodeSuccess || !got.Authoritative || got.Question[0] != tc.req.Question[0] {
				t.Fatalf("header/question: %v", got.MsgHdr)
			}
			if (got.IsEdns0() != nil) != (tc.req.IsEdns0() != nil) {
				t.Fatalf("OPT in reply %v, in query %v", got.IsEdns0(), tc.req.IsEdns0())
			}
			n := len(got.Answer)
			if tc.truncated && (n == 0 || n >= 200) || !tc.truncated && n != 200 {
				t.Fatalf("%d answers (TC %v)", n, got.Truncated)
			}
			seen := map[string]bool{}
			for _, a := range got.Answer {
				if seen[rdata(a)] {
					t.Fatalf("instance %s answered twice", rdata(a))
				}
				seen[rdata(a)] = true
			}
			if tc.req.Question[0].Qtype == dns.TypeSRV && !tc.truncated && len(got.Extra) != 200 {
				t.Fatalf("SRV over TCP has %d additional records, want 200", len(got.Extra))
			}
			t.Logf("%d bytes, %d answers, %d additional", len(b), n, len(got.Extra))
		})
	}
}

// TestTruncationDropsAdditionalFirst: when the answers fit but their glue
// does not, the glue goes, answers stay whole and TC stays clear (RFC 2181
// section 9).
func TestTruncationDropsAdditionalFirst(t *testing.T) {
	c := newTestCatalog(t)
	bigService(t, c, 6, true)
	s := newTestServer(t, c.store)

	udp := s.answer(query("big.service.roster.", dns.TypeSRV), true)
	if n := packLen(t, udp); n > dns.MinMsgSize {
		t.Fatalf("UDP reply is %d bytes", n)
	}
	if udp.Truncated || len(udp.Answer) != 6 || len(udp.Extra) == 0 || len(udp.Extra) >= 6 {
		t.Fatalf("UDP: TC %v, %d answers, %d additional; want no TC, 6 answers, 1 to 5 additional",
			udp.Truncated, len(udp.Answer), len(udp.Extra))
	}
	// The glue kept belongs to the first answers.
	for i, extra := range udp.Extra {
		if target := udp.Answer[i].(*dns.SRV).Target; extra.Header().Name != target {
			t.Errorf("additional %d is for %s, answer %d targets %s", i, extra.Header().Name, i, target)
		}
	}
	tcp := s.answer(query("big.service.roster.", dns.TypeSRV), false)
	if tcp.Truncated || len(tcp.Answer) != 6 || len(tcp.Extra) != 6 {
		t.Fatalf("TCP: TC %v, %d answers, %d additional; want all", tcp.Truncated, len(tcp.Answer), len(tcp.Extra))
	}
}

func TestSmallRepliesAreNotCompressed(t *testing.T) {
	s := newTestServer(t, fixture(t).store)
	resp := s.answer(query("web.service.roster.", dns.TypeA), true)
	if resp.Compress {
		t.Fatal("a small reply was compressed")
	}
}

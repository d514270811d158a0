package dnsserver

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// startServer starts a server for cat on 127.0.0.1:0 (UDP and TCP on the
// same port) and shuts it down when the test ends.
func startServer(t *testing.T, cat Catalog, opts ...func(*Config)) (*Server, string) {
	t.Helper()
	pc, ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s := newTestServer(t, cat, opts...)
	if err := s.Start(pc, ln); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return s, pc.LocalAddr().String()
}

func exchange(t *testing.T, network, addr string, req *dns.Msg) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: 5 * time.Second}
	resp, _, err := c.Exchange(req, addr)
	if err != nil {
		t.Fatalf("%s exchange %v: %v", network, req.Question, err)
	}
	return resp
}

func TestServerUDPAndTCP(t *testing.T) {
	_, addr := startServer(t, fixture(t).store)
	for _, network := range []string{"udp", "tcp"} {
		t.Run(network, func(t *testing.T) {
			resp := exchange(t, network, addr, query("_web._tcp.service.roster.", dns.TypeSRV))
			if resp.Rcode != dns.RcodeSuccess || !resp.Authoritative || len(resp.Answer) != 3 || len(resp.Extra) != 3 {
				t.Fatalf("SRV reply: %v", resp)
			}
			resp = exchange(t, network, addr, query("nosuch.service.roster.", dns.TypeA))
			if resp.Rcode != dns.RcodeNameError || len(resp.Ns) != 1 {
				t.Fatalf("NXDOMAIN reply: %v", resp)
			}
			resp = exchange(t, network, addr, query("example.com.", dns.TypeA))
			if resp.Rcode != dns.RcodeRefused {
				t.Fatalf("outside reply: %v", resp)
			}
		})
	}
}

func TestServerWRROverUDP(t *testing.T) {
	_, addr := startServer(t, weighted(t).store)
	conn, err := dns.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	got := map[string]int{}
	for i := range 700 {
		req := query("dist.service.roster.", dns.TypeA)
		req.Id = uint16(i)
		if err := conn.WriteMsg(req); err != nil {
			t.Fatal(err)
		}
		resp, err := conn.ReadMsg()
		if err != nil {
			t.Fatal(err)
		}
		if resp.Id != req.Id || len(resp.Answer) != 3 {
			t.Fatalf("reply %d: %v", i, resp)
		}
		got[rdata(resp.Answer[0])]++
	}
	if want := map[string]int{"10.0.0.1": 500, "10.0.0.2": 100, "10.0.0.3": 100}; !maps.Equal(got, want) {
		t.Fatalf("first records over 700 UDP queries = %v, want %v", got, want)
	}
}

func TestServerTruncatesOverUDPOnly(t *testing.T) {
	c := newTestCatalog(t)
	bigService(t, c, 200, false)
	_, addr := startServer(t, c.store)

	// dns.Client does not retry over TCP by itself, so TC is visible here.
	udp := exchange(t, "udp", addr, query("big.service.roster.", dns.TypeA))
	if !udp.Truncated || len(udp.Answer) == 0 || len(udp.Answer) >= 200 {
		t.Fatalf("UDP without EDNS: TC %v, %d answers", udp.Truncated, len(udp.Answer))
	}
	edns := exchange(t, "udp", addr, ednsQuery("big.service.roster.", dns.TypeA, 1232))
	if !edns.Truncated || len(edns.Answer) <= len(udp.Answer) || len(edns.Answer) >= 200 {
		t.Fatalf("UDP with EDNS 1232: TC %v, %d answers (%d without EDNS)", edns.Truncated, len(edns.Answer), len(udp.Answer))
	}
	tcp := exchange(t, "tcp", addr, query("big.service.roster.", dns.TypeA))
	if tcp.Truncated || len(tcp.Answer) != 200 {
		t.Fatalf("TCP: TC %v, %d answers", tcp.Truncated, len(tcp.Answer))
	}
}

// TestServerReadsLargeUDPQueries guards against miekg's default 512-byte
// UDP read buffer, which cuts EDNS queries carrying options.
func TestServerReadsLargeUDPQueries(t *testing.T) {
	_, addr := startServer(t, fixture(t).store)
	req := ednsQuery("web.service.roster.", dns.TypeA, 1232)
	req.IsEdns0().Option = []dns.EDNS0{&dns.EDNS0_PADDING{Padding: make([]byte, 1000)}}
	if b, _ := req.Pack(); len(b) <= dns.MinMsgSize {
		t.Fatalf("query is only %d bytes", len(b))
	}
	resp := exchange(t, "udp", addr, req)
	if resp.Rcode != dns.RcodeSuccess || len(resp.Answer) != 2 {
		t.Fatalf("reply to a padded query: %v", resp)
	}
}

// TestServerManyQueriesOnOneTCPConn guards against miekg's default of
// closing a TCP connection after 128 queries.
func TestServerManyQueriesOnOneTCPConn(t *testing.T) {
	_, addr := startServer(t, fixture(t).store)
	conn, err := dns.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const n = 300
	for i := range n {
		req := query("web.service.roster.", dns.TypeA)
		req.Id = uint16(i)
		if err := conn.WriteMsg(req); err != nil {
			t.Fatalf("write query %d: %v", i, err)
		}
	}
	for i := range n {
		resp, err := conn.ReadMsg()
		if err != nil {
			t.Fatalf("read reply %d of %d: %v", i, n, err)
		}
		if len(resp.Answer) != 2 {
			t.Fatalf("reply %d: %v", i, resp)
		}
	}
}

type expectation int

const (
	expectReply expectation = iota
	expectNone
	expectAny
)

// rawExchange sends raw bytes over UDP, then a valid probe query, and
// returns the replies other than the probe's. It reads until the probe's
// reply and, for expectReply, one more; for expectNone it then listens
// briefly for a late one. The probe's reply proves the server survived.
func rawExchange(t *testing.T, addr string, raw []byte, expect expectation) []*dns.Msg {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	probe := query("web.service.roster.", dns.TypeA)
	probe.Id = 0xBEEF
	pb, _ := probe.Pack()
	if _, err := conn.Write(raw); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(pb); err != nil {
		t.Fatal(err)
	}
	var got []*dns.Msg
	probed := false
	buf := make([]byte, 65535)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for !probed || expect == expectReply && len(got) == 0 {
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("probe answered: %v, other replies: %d: %v", probed, len(got), err)
		}
		m := new(dns.Msg)
		if err := m.Unpack(buf[:n]); err != nil {
			t.Fatalf("server sent an unparsable reply: %v", err)
		}
		if m.Id == probe.Id && len(m.Answer) == 2 {
			probed = true
			continue
		}
		got = append(got, m)
	}
	if expect == expectNone {
		conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if n, err := conn.Read(buf); err == nil {
			m := new(dns.Msg)
			m.Unpack(buf[:n])
			got = append(got, m)
		}
	}
	return got
}

func TestServerMalformedPackets(t *testing.T) {
	_, addr := startServer(t, fixture(t).store)
	header := func(id uint16, bits uint16, qd, an, ns, ar uint16) []byte {
		return []byte{byte(id >> 8), byte(id), byte(bits >> 8), byte(bits), 0, byte(qd), 0, byte(an), 0, byte(ns), 0, byte(ar)}
	}
	q := query("web.service.roster.", dns.TypeA)
	q.Id = 7
	valid, _ := q.Pack()
	twoQ := append(slices.Clone(valid), valid[12:]...)
	twoQ[5] = 2
	notify := slices.Clone(valid)
	notify[2] |= dns.OpcodeNotify << 3
	response := slices.Clone(valid)
	response[2] |= 0x80

	cases := []struct {
		name  string
		raw   []byte
		rcode int // -1: no reply at all
	}{
		{"empty", nil, -1},
		{"truncated header", valid[:5], -1},
		{"header only, QDCOUNT 0", header(7, 0, 0, 0, 0, 0), dns.RcodeFormatError},
		{"QDCOUNT 2", twoQ, dns.RcodeFormatError},
		{"question cut short", valid[:len(valid)-3], dns.RcodeFormatError},
		{"QDCOUNT 1 without a question", header(7, 0, 1, 0, 0, 0), dns.RcodeFormatError},
		{"NOTIFY", notify, dns.RcodeNotImplemented},
		{"a response", response, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expect := expectReply
			if tc.rcode < 0 {
				expect = expectNone
			}
			got := rawExchange(t, addr, tc.raw, expect)
			switch {
			case tc.rcode < 0 && len(got) != 0:
				t.Fatalf("got %d replies, want none: %v", len(got), got[0])
			case tc.rcode >= 0 && (len(got) != 1 || got[0].Rcode != tc.rcode || got[0].Id != 7):
				t.Fatalf("got %v, want one reply with id 7 and rcode %s", got, rcodeName(tc.rcode))
			}
		})
	}

	t.Run("random bytes", func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for range 200 {
			b := make([]byte, r.IntN(600))
			for i := range b {
				b[i] = byte(r.UintN(256))
			}
			for _, m := range rawExchange(t, addr, b, expectAny) {
				if m.Rcode != dns.RcodeFormatError && m.Rcode != dns.RcodeNotImplemented &&
					m.Rcode != dns.RcodeRefused && m.Rcode != dns.RcodeSuccess && m.Rcode != dns.RcodeNameError {
					t.Fatalf("reply to random bytes with rcode %s", rcodeName(m.Rcode))
				}
			}
		}
	})
}

func TestServerGoResolver(t *testing.T) {
	c := fixture(t)
	bigService(t, c, 200, false)
	_, addr := startServer(t, c.store)
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	cname, srvs, err := r.LookupSRV(ctx, "web", "tcp", "service.roster.")
	if err != nil {
		t.Fatalf("LookupSRV: %v", err)
	}
	var got []string
	for _, s := range srvs {
		got = append(got, fmt.Sprintf("%s w%d p%d", s.Target, s.Weight, s.Port))
	}
	sort.Strings(got)
	want := []string{"0a000102.addr.roster. w1 p8081", "n1.node.roster. w5 p8080", "n3.node.roster. w1 p8082"}
	if cname != "_web._tcp.service.roster." || !slices.Equal(got, want) {
		t.Fatalf("LookupSRV = %q %v, want %v", cname, got, want)
	}

	hosts, err := r.LookupHost(ctx, "web.service.roster.")
	if err != nil {
		t.Fatalf("LookupHost: %v", err)
	}
	sort.Strings(hosts)
	if want := []string{"10.0.0.1", "10.0.1.2", "2001:db8::3"}; !slices.Equal(hosts, want) {
		t.Fatalf("LookupHost = %v, want %v", hosts, want)
	}

	// 200 addresses do not fit in UDP: the resolver must retry over TCP.
	hosts, err = r.LookupHost(ctx, "big.service.roster.")
	if err != nil || len(hosts) != 200 {
		t.Fatalf("LookupHost of 200 instances = %d hosts, %v", len(hosts), err)
	}

	_, err = r.LookupHost(ctx, "nosuch.service.roster.")
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Fatalf("LookupHost of a missing service: %v, want not found", err)
	}
}

func TestServerLifecycle(t *testing.T) {
	s, addr := startServer(t, fixture(t).store)
	if err := s.Start(nil, nil); !errors.Is(err, ErrServerStarted) {
		t.Fatalf("second Start = %v, want ErrServerStarted", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	// The sockets are closed: the port can be bound again.
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatalf("UDP port still held after Shutdown: %v", err)
	}
	pc.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("TCP port still held after Shutdown: %v", err)
	}
	ln.Close()
}

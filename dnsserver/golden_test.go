package dnsserver

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/miekg/dns"
)

var update = flag.Bool("update", false, "rewrite testdata/dns/*.golden from the current answers")

// TestGolden compares whole replies, in dig-like presentation format, with
// testdata/dns/<name>.golden. Run `go test ./dnsserver -run Golden -update`
// after an intended change and review the diff.
func TestGolden(t *testing.T) {
	c := fixture(t)
	bigService(t, c, 200, false)
	cases := []struct {
		name string
		req  *dns.Msg
		udp  bool
		cfg  func(*Config)
	}{
		{"service_a", query("web.service.roster.", dns.TypeA), true, nil},
		{"service_aaaa", query("web.service.roster.", dns.TypeAAAA), true, nil},
		{"service_srv", query("web.service.roster.", dns.TypeSRV), true, nil},
		{"rfc2782_srv", query("_web._tcp.service.roster.", dns.TypeSRV), true, nil},
		{"rfc2782_tag_srv", query("_web._v2.service.roster.", dns.TypeSRV), true, nil},
		{"tag_a", query("v1.web.service.roster.", dns.TypeA), true, nil},
		{"mixed_case", query("WeB.SeRvIcE.RoStEr.", dns.TypeA), true, nil},
		{"hostname_cname", query("db.service.roster.", dns.TypeA), true, nil},
		{"node_a", query("n1.node.roster.", dns.TypeA), true, nil},
		{"addr_a", query("0a000102.addr.roster.", dns.TypeA), true, nil},
		{"apex_soa", query("roster.", dns.TypeSOA), true, nil},
		{"apex_ns", query("roster.", dns.TypeNS), true, func(c *Config) { c.NodeName = "n1" }},
		{"nxdomain", query("nosuch.service.roster.", dns.TypeA), true, nil},
		{"nodata", query("v6.service.roster.", dns.TypeA), true, nil},
		{"refused", query("example.com.", dns.TypeA), true, nil},
		{"edns", ednsQuery("web.service.roster.", dns.TypeSRV, 4096), true, nil},
		{"truncated_udp", query("big.service.roster.", dns.TypeA), true, nil},
		{"truncated_edns", ednsQuery("big.service.roster.", dns.TypeSRV, 1232), true, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var opts []func(*Config)
			if tc.cfg != nil {
				opts = append(opts, tc.cfg)
			}
			s := newTestServer(t, c.store, opts...)
			resp := s.answer(tc.req, tc.udp)
			b, err := resp.Pack()
			if err != nil {
				t.Fatalf("pack: %v", err)
			}
			got := fmt.Sprintf(";; %d bytes over %s\n%s", len(b), transport(tc.udp), resp)
			path := filepath.Join("testdata", "dns", tc.name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (run with -update to create it): %v", err)
			}
			if !bytes.Equal(want, []byte(got)) {
				t.Errorf("reply differs from %s:\n--- got\n%s\n--- want\n%s", path, got, want)
			}
		})
	}
}

func transport(udp bool) string {
	if udp {
		return "udp"
	}
	return "tcp"
}

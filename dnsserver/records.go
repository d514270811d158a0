package dnsserver

import (
	"net"

	"github.com/miekg/dns"
)

// SOA timers other than MINIMUM. Nothing transfers this zone, so they only
// need to be plausible; these are Consul's.
const (
	soaRefresh = 3600
	soaRetry   = 600
	soaExpire  = 86400
)

func hdr(owner string, rrtype uint16, ttl uint32) dns.RR_Header {
	return dns.RR_Header{Name: owner, Rrtype: rrtype, Class: dns.ClassINET, Ttl: ttl}
}

// newSOA returns the zone's SOA. Its TTL equals MINIMUM so that negative
// answers are cached for exactly NegativeTTL (RFC 2308 takes the smaller).
func newSOA(cfg *Config, serial uint32) *dns.SOA {
	ttl := seconds(cfg.NegativeTTL)
	return &dns.SOA{
		Hdr:     hdr(cfg.Domain, dns.TypeSOA, ttl),
		Ns:      "ns." + cfg.Domain,
		Mbox:    "hostmaster." + cfg.Domain,
		Serial:  serial,
		Refresh: soaRefresh,
		Retry:   soaRetry,
		Expire:  soaExpire,
		Minttl:  ttl,
	}
}

func newNS(cfg *Config) *dns.NS {
	return &dns.NS{Hdr: hdr(cfg.Domain, dns.TypeNS, seconds(cfg.NodeTTL)), Ns: "ns." + cfg.Domain}
}

// addressRR returns the A or AAAA record for ip (4 or 16 bytes).
func addressRR(owner string, ip net.IP, ttl uint32) dns.RR {
	if len(ip) == net.IPv4len {
		return &dns.A{Hdr: hdr(owner, dns.TypeA, ttl), A: ip}
	}
	return &dns.AAAA{Hdr: hdr(owner, dns.TypeAAAA, ttl), AAAA: ip}
}

// wantsAddress reports whether an address record of ip answers qtype.
func wantsAddress(qtype uint16, ip net.IP) bool {
	switch qtype {
	case dns.TypeANY:
		return true
	case dns.TypeA:
		return len(ip) == net.IPv4len
	case dns.TypeAAAA:
		return len(ip) == net.IPv6len
	}
	return false
}

func cname(owner, target string, ttl uint32) dns.RR {
	return &dns.CNAME{Hdr: hdr(owner, dns.TypeCNAME, ttl), Target: target}
}

package dnsserver

import (
	"encoding/hex"
	"net"
	"strings"

	"github.com/miekg/dns"
)

// nameKind is what a query name refers to.
type nameKind uint8

const (
	kindOutside nameKind = iota // not in the domain: REFUSED
	kindMissing                 // in the domain, no such name: NXDOMAIN
	kindApex                    // <domain>
	kindNS                      // ns.<domain>
	kindEmpty                   // an empty non-terminal: service./node./addr./_x.service.
	kindService                 // [<tag>.]<svc>.service or _<svc>._<tag>.service
	kindNode                    // <node>.node
	kindAddr                    // <hex>.addr
)

// name is a parsed query name. Strings are lower case and, when the query
// was already lower case, substrings of it (no allocation).
type name struct {
	kind    nameKind
	service string
	tag     string
	rfc2782 bool // _<svc>._<proto|tag> form: answers SRV only
	node    string
	ip      net.IP // kindAddr: 4 or 16 bytes
}

// parseName classifies qname (fully qualified, presentation format, any
// case) against domain (lower case, fully qualified).
func parseName(qname, domain string) name {
	if len(qname) < len(domain) || !strings.EqualFold(qname[len(qname)-len(domain):], domain) {
		return name{kind: kindOutside}
	}
	if strings.IndexByte(qname, '\\') >= 0 {
		// Escaped dots or bytes never occur in names roster serves; only
		// decide whether the name is in the zone, which the escapes affect.
		if dns.IsSubDomain(domain, qname) {
			return name{kind: kindMissing}
		}
		return name{kind: kindOutside}
	}
	rest := qname[:len(qname)-len(domain)]
	if rest == "" {
		return name{kind: kindApex}
	}
	if rest[len(rest)-1] != '.' {
		return name{kind: kindOutside} // e.g. "xroster." for domain "roster."
	}
	var labels [4]string // right to left
	n := 0
	for rest != "" {
		rest = rest[:len(rest)-1] // the dot
		i := strings.LastIndexByte(rest, '.')
		if n == len(labels) {
			return name{kind: kindMissing}
		}
		labels[n] = rest[i+1:]
		if labels[n] == "" {
			return name{kind: kindMissing}
		}
		n++
		rest = rest[:i+1]
	}
	switch top := labels[0]; {
	case n == 1 && strings.EqualFold(top, "ns"):
		return name{kind: kindNS}
	case n == 1 && (strings.EqualFold(top, "service") || strings.EqualFold(top, "node") || strings.EqualFold(top, "addr")):
		return name{kind: kindEmpty}
	case strings.EqualFold(top, "service"):
		return parseService(labels[1:n])
	case n == 2 && strings.EqualFold(top, "node"):
		return name{kind: kindNode, node: lower(labels[1])}
	case n == 2 && strings.EqualFold(top, "addr"):
		if ip := decodeAddr(labels[1]); ip != nil {
			return name{kind: kindAddr, ip: ip}
		}
	}
	return name{kind: kindMissing}
}

// parseService parses the labels left of "service", right to left.
func parseService(l []string) name {
	switch len(l) {
	case 1:
		if l[0][0] == '_' {
			// The parent of RFC 2782 names (_tcp.service.): it exists, so
			// qname-minimising resolvers must not get NXDOMAIN (RFC 8020).
			return name{kind: kindEmpty}
		}
		return name{kind: kindService, service: lower(l[0])}
	case 2:
		if left, right := l[1], l[0]; len(left) > 1 && len(right) > 1 && left[0] == '_' && right[0] == '_' {
			// _<svc>._<proto or tag>
			tag := right[1:]
			if strings.EqualFold(tag, "tcp") {
				tag = "" // _svc._tcp is the plain service, as in Consul
			}
			return name{kind: kindService, service: lower(left[1:]), tag: lower(tag), rfc2782: true}
		}
		// <tag>.<svc>
		return name{kind: kindService, service: lower(l[0]), tag: lower(l[1])}
	}
	return name{kind: kindMissing}
}

// decodeAddr decodes the label of <hex>.addr: 8 hex digits for IPv4, 32
// for IPv6. It returns nil for anything else.
func decodeAddr(label string) net.IP {
	if len(label) != 2*net.IPv4len && len(label) != 2*net.IPv6len {
		return nil
	}
	ip := make(net.IP, len(label)/2)
	if _, err := hex.Decode(ip, []byte(label)); err != nil {
		return nil
	}
	return ip
}

// encodeAddr returns the <hex> label for ip (4 or 16 bytes), lower case.
func encodeAddr(ip net.IP) string { return hex.EncodeToString(ip) }

// validLabel reports whether s can stand as one label of a host name:
// letters, digits, '-' and '_' only, 1 to 63 of them.
func validLabel(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// lower returns s in ASCII lower case without allocating when it already is.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// validHost reports whether s can be served as a host name target.
func validHost(s string) bool {
	_, ok := dns.IsDomainName(s)
	return ok && !strings.ContainsAny(s, " \\")
}

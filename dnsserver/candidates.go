package dnsserver

import (
	"net"
	"net/netip"

	"github.com/miekg/dns"

	"github.com/rosterhq/roster/registry"
)

// candidate is one instance as a service answer uses it, with everything
// that does not depend on the query precomputed.
type candidate struct {
	ip   net.IP // 4 or 16 bytes; nil when the address is a host name
	host string // fully qualified host name, when the address is not an IP
	// target is the SRV target: host, <hex>.addr.<domain> or <node>.node.<domain>.
	target string
	// targetID numbers the distinct IP targets of the set from 0, so an
	// answer adds each target's address record once; -1 for host targets.
	targetID  int
	targetTTL uint32
	port      uint16
	weight    uint16
	// rr is the answer record under the set's owner name: A, AAAA or CNAME
	// for address sets, SRV for SRV sets. glue is the SRV target's address
	// record, nil for host targets. Both are shared by concurrent replies
	// and never modified.
	rr, glue dns.RR
}

// candidateSet is the immutable list one rotKey answers from, derived from
// one ServiceView: it is rebuilt only when the view pointer changes, so
// queries share it, records included, without copying or locking.
type candidateSet struct {
	view *registry.ServiceView
	// owner is the lower-case name the records are built for; a query
	// spelled otherwise gets copies under its own spelling.
	owner   string
	exists  bool // a healthy instance carries the tag, whatever its address
	cands   []candidate
	weights []int // cands[i].weight, as wrr wants them
	targets int   // distinct IP targets
}

// family selects candidates by address type for a query type.
type family uint8

const (
	familyAll family = iota // SRV and ANY: every instance with an address
	familyV4                // A: IPv4 addresses and host names
	familyV6                // AAAA: IPv6 addresses and host names
)

func familyOf(qtype uint16) family {
	switch qtype {
	case dns.TypeA:
		return familyV4
	case dns.TypeAAAA:
		return familyV6
	}
	return familyAll
}

// healthy is the one predicate that decides whether DNS returns an instance.
// The view already left out critical instances and down nodes.
func (s *Server) healthy(inst *registry.ViewInstance) bool {
	switch inst.Health {
	case registry.HealthPassing:
		return true
	case registry.HealthWarning:
		return !s.cfg.OnlyPassing
	}
	return false
}

// matches reports whether inst is returned for tag ("" = any).
func (s *Server) matches(inst *registry.ViewInstance, tag string) bool {
	return s.healthy(inst) && (tag == "" || inst.HasTag(tag))
}

// exists reports whether the service name with tag has a healthy instance.
func (s *Server) exists(view *registry.ServiceView, tag string) bool {
	for i := range view.Instances {
		if s.matches(&view.Instances[i], tag) {
			return true
		}
	}
	return false
}

// buildSet derives the candidate set of view for key.
func (s *Server) buildSet(view *registry.ServiceView, key rotKey) *candidateSet {
	set := &candidateSet{view: view, owner: s.ownerName(key)}
	tag, fam := key.tag, familyOf(key.qtype)
	targetIDs := map[string]int{}
	for i := range view.Instances {
		inst := &view.Instances[i]
		if !s.matches(inst, tag) {
			continue
		}
		set.exists = true
		c, ok := s.newCandidate(inst)
		if !ok {
			continue
		}
		if c.ip != nil && (fam == familyV4 && len(c.ip) != net.IPv4len || fam == familyV6 && len(c.ip) != net.IPv6len) {
			continue
		}
		if c.ip != nil {
			id, seen := targetIDs[c.target]
			if !seen {
				id = len(targetIDs)
				targetIDs[c.target] = id
			}
			c.targetID = id
		}
		s.addRecords(&c, set.owner, key.qtype == dns.TypeSRV)
		set.cands = append(set.cands, c)
		set.weights = append(set.weights, int(c.weight))
	}
	set.targets = len(targetIDs)
	return set
}

// addRecords builds c's shared records under owner.
func (s *Server) addRecords(c *candidate, owner string, srv bool) {
	switch {
	case srv:
		c.rr = &dns.SRV{Hdr: hdr(owner, dns.TypeSRV, s.serviceTTL), Priority: 1, Weight: c.weight, Port: c.port, Target: c.target}
		if c.ip != nil {
			c.glue = addressRR(c.target, c.ip, c.targetTTL)
		}
	case c.ip != nil:
		c.rr = addressRR(owner, c.ip, s.serviceTTL)
	default:
		c.rr = cname(owner, c.host, s.serviceTTL)
	}
}

// ownerName is the canonical (lower-case) query name of key.
func (s *Server) ownerName(key rotKey) string {
	if key.rfc2782 {
		tag := key.tag
		if tag == "" {
			tag = "tcp"
		}
		return "_" + key.service + "._" + tag + ".service." + s.cfg.Domain
	}
	if key.tag != "" {
		return key.tag + "." + key.service + ".service." + s.cfg.Domain
	}
	return key.service + ".service." + s.cfg.Domain
}

// record returns c's answer record under owner: the shared one when owner
// is spelled as the set's, else a copy (a query in mixed case gets its own
// spelling back).
func (set *candidateSet) record(c *candidate, owner string) dns.RR {
	if owner == set.owner {
		return c.rr
	}
	rr := dns.Copy(c.rr)
	rr.Header().Name = owner
	return rr
}

// newCandidate resolves an instance's address and SRV target. It returns
// false for an instance with no usable address.
func (s *Server) newCandidate(inst *registry.ViewInstance) (candidate, bool) {
	c := candidate{targetID: -1, port: clampUint16(inst.Port), weight: clampUint16(inst.Weight)}
	own := inst.Address != "" && inst.Address != inst.NodeAddress
	addr := inst.Address
	if addr == "" {
		addr = inst.NodeAddress
	}
	ip, ok := parseIP(addr)
	switch {
	case !ok:
		if addr == "" || !validHost(addr) {
			return c, false
		}
		c.host = dns.Fqdn(addr)
		c.target = c.host
	case own || !validLabel(inst.Node):
		c.ip = ip
		c.target = encodeAddr(ip) + ".addr." + s.cfg.Domain
		c.targetTTL = s.serviceTTL
	default:
		c.ip = ip
		c.target = lower(inst.Node) + ".node." + s.cfg.Domain
		c.targetTTL = s.nodeTTL
	}
	return c, true
}

// parseIP parses an IPv4 or IPv6 address (IPv4-mapped IPv6 counts as IPv4,
// a zone is dropped) into 4 or 16 bytes.
func parseIP(s string) (net.IP, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return nil, false
	}
	a = a.Unmap().WithZone("")
	return net.IP(a.AsSlice()), true
}

func clampUint16(v int) uint16 {
	switch {
	case v < 0:
		return 0
	case v > 0xFFFF:
		return 0xFFFF
	}
	return uint16(v)
}

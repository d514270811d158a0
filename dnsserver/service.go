package dnsserver

import (
	"net"

	"github.com/miekg/dns"
)

// scratch is per-query working memory, pooled so the hot path does not
// allocate it.
type scratch struct {
	order []int
	seen  []bool
}

// answerService answers [<tag>.]<svc>.service and the RFC 2782 forms.
func (s *Server) answerService(resp *dns.Msg, q dns.Question, n name) {
	view := s.catalog.Service(n.service)
	if view == nil {
		s.nxdomain(resp)
		return
	}
	qtype := q.Qtype
	switch {
	case qtype == dns.TypeSRV, n.rfc2782 && qtype == dns.TypeANY:
		qtype = dns.TypeSRV
	case n.rfc2782, qtype != dns.TypeA && qtype != dns.TypeAAAA && qtype != dns.TypeANY:
		// The name exists with SRV or address records only.
		if s.exists(view, n.tag) {
			s.nodata(resp)
		} else {
			s.nxdomain(resp)
		}
		return
	}

	sc := s.scratch.Get().(*scratch)
	defer s.scratch.Put(sc)
	set, order, ok := s.rotate(view, rotKey{service: n.service, tag: n.tag, qtype: qtype}, sc.order)
	sc.order = order
	switch {
	case !ok:
		s.nxdomain(resp)
	case len(order) == 0:
		s.nodata(resp) // e.g. A for a service with only IPv6 instances
	case qtype == dns.TypeSRV:
		s.answerSRV(resp, q.Name, set, order, sc)
	default:
		s.answerAddresses(resp, q.Name, set, order)
	}
}

// answerAddresses lists the A/AAAA records of the candidates in order, at
// most ALimit of them. When the pick has a host name instead of an address,
// the answer is a lone CNAME to it (a CNAME admits no other records).
func (s *Server) answerAddresses(resp *dns.Msg, owner string, set *candidateSet, order []int) {
	if first := &set.cands[order[0]]; first.ip == nil {
		resp.Answer = []dns.RR{cname(owner, first.host, s.serviceTTL)}
		return
	}
	limit := s.cfg.ALimit
	if limit == 0 {
		limit = len(order)
	}
	n4, n6 := 0, 0
	for _, i := range order {
		if n4+n6 == limit {
			break
		}
		switch len(set.cands[i].ip) {
		case net.IPv4len:
			n4++
		case net.IPv6len:
			n6++
		}
	}
	// One allocation per record type, not per record.
	as, aaaas := make([]dns.A, n4), make([]dns.AAAA, n6)
	rrs := make([]dns.RR, 0, n4+n6)
	i4, i6 := 0, 0
	for _, i := range order {
		if i4+i6 == n4+n6 {
			break
		}
		switch ip := set.cands[i].ip; len(ip) {
		case net.IPv4len:
			a := &as[i4]
			i4++
			a.Hdr, a.A = hdr(owner, dns.TypeA, s.serviceTTL), ip
			rrs = append(rrs, a)
		case net.IPv6len:
			a := &aaaas[i6]
			i6++
			a.Hdr, a.AAAA = hdr(owner, dns.TypeAAAA, s.serviceTTL), ip
			rrs = append(rrs, a)
		}
	}
	resp.Answer = rrs
}

// answerSRV lists one SRV per candidate in order, and each distinct IP
// target's address record once in the additional section, in the same order
// so that truncation keeps the addresses of the records it keeps.
func (s *Server) answerSRV(resp *dns.Msg, owner string, set *candidateSet, order []int, sc *scratch) {
	srvs := make([]dns.SRV, len(order))
	rrs := make([]dns.RR, len(order))
	for k, i := range order {
		c := &set.cands[i]
		srvs[k] = dns.SRV{
			Hdr:      hdr(owner, dns.TypeSRV, s.serviceTTL),
			Priority: 1,
			Weight:   c.weight,
			Port:     c.port,
			Target:   c.target,
		}
		rrs[k] = &srvs[k]
	}
	resp.Answer = rrs
	if set.targets == 0 {
		return
	}
	sc.seen = resize(sc.seen, set.targets)
	extra := make([]dns.RR, 0, set.targets+1) // +1: room for the OPT
	as, aaaas := make([]dns.A, 0, set.targets4), make([]dns.AAAA, 0, set.targets6)
	for _, i := range order {
		c := &set.cands[i]
		if c.targetID < 0 || sc.seen[c.targetID] {
			continue
		}
		sc.seen[c.targetID] = true
		if len(c.ip) == net.IPv4len {
			as = append(as, dns.A{Hdr: hdr(c.target, dns.TypeA, c.targetTTL), A: c.ip})
			extra = append(extra, &as[len(as)-1])
		} else {
			aaaas = append(aaaas, dns.AAAA{Hdr: hdr(c.target, dns.TypeAAAA, c.targetTTL), AAAA: c.ip})
			extra = append(extra, &aaaas[len(aaaas)-1])
		}
	}
	resp.Extra = extra
}

// resize returns b with length n, all false.
func resize(b []bool, n int) []bool {
	if cap(b) < n {
		return make([]bool, n)
	}
	b = b[:n]
	clear(b)
	return b
}

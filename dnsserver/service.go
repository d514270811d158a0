package dnsserver

import (
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
	set, order, ok := s.rotate(view, rotKey{service: n.service, tag: n.tag, qtype: qtype, rfc2782: n.rfc2782}, sc.order)
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
		resp.Answer = []dns.RR{set.record(first, owner)}
		return
	}
	limit := len(order)
	if s.cfg.ALimit > 0 {
		limit = min(limit, s.cfg.ALimit)
	}
	rrs := make([]dns.RR, 0, limit)
	for _, i := range order {
		if len(rrs) == limit {
			break
		}
		if c := &set.cands[i]; c.ip != nil {
			rrs = append(rrs, set.record(c, owner))
		}
	}
	resp.Answer = rrs
}

// answerSRV lists one SRV per candidate in order, and each distinct IP
// target's address record once in the additional section, in the same order
// so that truncation keeps the addresses of the records it keeps.
func (s *Server) answerSRV(resp *dns.Msg, owner string, set *candidateSet, order []int, sc *scratch) {
	rrs := make([]dns.RR, len(order))
	for k, i := range order {
		rrs[k] = set.record(&set.cands[i], owner)
	}
	resp.Answer = rrs
	if set.targets == 0 {
		return
	}
	sc.seen = resize(sc.seen, set.targets)
	extra := make([]dns.RR, 0, set.targets+1) // +1: room for the OPT
	for _, i := range order {
		c := &set.cands[i]
		if c.glue == nil || sc.seen[c.targetID] {
			continue
		}
		sc.seen[c.targetID] = true
		extra = append(extra, c.glue)
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

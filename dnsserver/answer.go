package dnsserver

import (
	"github.com/miekg/dns"
)

// answer builds the reply to req, sized for the transport: udp replies fit
// the client's buffer, TCP replies the 64 KiB message limit. It returns nil
// when nothing must be sent (req is itself a response). It reads only the
// catalog and the rotations, so it is safe for concurrent use; it never
// mutates req.
func (s *Server) answer(req *dns.Msg, udp bool) *dns.Msg {
	if req.Response {
		return nil // answering responses invites reflection loops
	}
	resp := &dns.Msg{MsgHdr: dns.MsgHdr{
		Id:               req.Id,
		Response:         true,
		Opcode:           req.Opcode,
		RecursionDesired: req.RecursionDesired,
		CheckingDisabled: req.CheckingDisabled,
	}}
	if len(req.Question) == 1 {
		// Echo the question exactly as asked (0x20 case randomisation),
		// sharing the request's slice: neither side mutates it.
		resp.Question = req.Question[:1:1]
	}
	switch {
	case req.Opcode != dns.OpcodeQuery:
		resp.Rcode = dns.RcodeNotImplemented
		return resp
	case len(req.Question) != 1:
		resp.Rcode = dns.RcodeFormatError
		return resp
	}

	maxSize := dns.MaxMsgSize
	if udp {
		maxSize = dns.MinMsgSize
	}
	var opt *dns.OPT
	for _, rr := range req.Extra {
		o, ok := rr.(*dns.OPT)
		if !ok {
			continue
		}
		if opt != nil {
			resp.Rcode = dns.RcodeFormatError // RFC 6891 6.1.1: at most one OPT
			return resp
		}
		opt = o
	}
	var respOpt *dns.OPT
	if opt != nil {
		respOpt = &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
		respOpt.SetUDPSize(uint16(s.cfg.UDPSize))
		if opt.Do() {
			respOpt.SetDo() // RFC 3225: copy DO, though nothing here is signed
		}
		if opt.Version() != 0 {
			resp.Rcode = dns.RcodeBadVers
			resp.Extra = []dns.RR{respOpt}
			return resp
		}
		if udp {
			maxSize = min(max(int(opt.UDPSize()), dns.MinMsgSize), s.cfg.UDPSize)
		}
	}

	s.resolve(resp, req.Question[0])
	if respOpt != nil {
		resp.Extra = append(resp.Extra, respOpt)
	}
	fit(resp, maxSize)
	return resp
}

// resolve fills resp's rcode, AA bit and sections for q.
func (s *Server) resolve(resp *dns.Msg, q dns.Question) {
	if q.Qclass != dns.ClassINET && q.Qclass != dns.ClassANY {
		resp.Rcode = dns.RcodeRefused
		return
	}
	n := parseName(q.Name, s.cfg.Domain)
	if n.kind == kindOutside {
		resp.Rcode = dns.RcodeRefused // no recursion
		return
	}
	if q.Qtype == dns.TypeAXFR || q.Qtype == dns.TypeIXFR {
		resp.Rcode = dns.RcodeRefused // a synthesised zone has nothing to transfer
		return
	}
	resp.Authoritative = true
	switch n.kind {
	case kindApex:
		s.answerApex(resp, q)
	case kindNS:
		if !s.addNSAddress(resp, q.Name, q.Qtype) {
			s.nodata(resp)
		}
	case kindEmpty:
		s.nodata(resp)
	case kindNode:
		s.answerNode(resp, q, n.node)
	case kindAddr:
		if !wantsAddress(q.Qtype, n.ip) {
			s.nodata(resp)
			return
		}
		resp.Answer = []dns.RR{addressRR(q.Name, n.ip, s.serviceTTL)}
	case kindService:
		s.answerService(resp, q, n)
	default:
		s.nxdomain(resp)
	}
}

func (s *Server) nxdomain(resp *dns.Msg) {
	resp.Rcode = dns.RcodeNameError
	resp.Ns = s.soaSection
}

func (s *Server) nodata(resp *dns.Msg) {
	resp.Ns = s.soaSection
}

// answerApex answers the zone's own SOA and NS records.
func (s *Server) answerApex(resp *dns.Msg, q dns.Question) {
	switch q.Qtype {
	case dns.TypeSOA:
		resp.Answer = s.soaSection
	case dns.TypeNS:
		resp.Answer = s.nsSection
		s.addNSAddress(resp, "", dns.TypeANY)
	case dns.TypeANY:
		resp.Answer = []dns.RR{s.soa, s.ns}
	default:
		s.nodata(resp)
	}
}

// addNSAddress adds the address of ns.<domain>, this agent's node, to the
// answer (owner set) or to the additional section (owner ""), and reports
// whether there was one for qtype.
func (s *Server) addNSAddress(resp *dns.Msg, owner string, qtype uint16) bool {
	if s.cfg.NodeName == "" {
		return false
	}
	nv := s.catalog.NodeView(s.cfg.NodeName)
	if nv == nil {
		return false
	}
	ip, ok := parseIP(nv.Address)
	if !ok || !wantsAddress(qtype, ip) {
		return false
	}
	if owner == "" {
		resp.Extra = append(resp.Extra, addressRR(s.soa.Ns, ip, s.nodeTTL))
	} else {
		resp.Answer = append(resp.Answer, addressRR(owner, ip, s.nodeTTL))
	}
	return true
}

// answerNode answers <node>.node.<domain>: the node's address whatever its
// health, as Consul does, or a CNAME when the address is a host name.
func (s *Server) answerNode(resp *dns.Msg, q dns.Question, node string) {
	nv := s.catalog.NodeView(node)
	if nv == nil {
		s.nxdomain(resp)
		return
	}
	ip, ok := parseIP(nv.Address)
	switch {
	case ok && wantsAddress(q.Qtype, ip):
		resp.Answer = []dns.RR{addressRR(q.Name, ip, s.nodeTTL)}
	case !ok && nv.Address != "" && validHost(nv.Address):
		resp.Answer = []dns.RR{cname(q.Name, dns.Fqdn(nv.Address), s.nodeTTL)}
	default:
		s.nodata(resp)
	}
}

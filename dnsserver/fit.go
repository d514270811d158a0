package dnsserver

import (
	"sort"

	"github.com/miekg/dns"
)

// fit makes m pack into at most size bytes by dropping whole records:
// additional records first (from the end, so the addresses of the first
// answers stay), then answers from the end. The OPT record always stays.
//
// TC is set only when answer records were dropped. Additional records are
// optional (RFC 2181 section 9: TC is not set "merely because some extra
// information could have been included"), and a TC would send every client
// to TCP for data it can look up itself. miekg's Msg.Truncate cannot make
// that distinction, so it is not used.
//
// Small replies are sent uncompressed: compression costs a map per message
// and only pays when the reply would not fit otherwise.
func fit(m *dns.Msg, size int) {
	m.Compress = false
	if m.Len() <= size {
		return
	}
	m.Compress = true
	if m.Len() <= size {
		return
	}
	extra := m.Extra
	var opt dns.RR
	if n := len(extra); n > 0 && extra[n-1].Header().Rrtype == dns.TypeOPT {
		extra, opt = extra[:n-1], extra[n-1]
	}
	buf := make([]dns.RR, 0, len(extra)+1)
	withExtra := func(k int) []dns.RR {
		buf = append(buf[:0], extra[:k]...)
		if opt != nil {
			buf = append(buf, opt)
		}
		return buf
	}
	// Length grows with every record added, so binary search the largest
	// prefix that fits.
	k := sort.Search(len(extra)+1, func(k int) bool {
		m.Extra = withExtra(k)
		return m.Len() > size
	}) - 1
	if k >= 0 {
		m.Extra = withExtra(k)
		return
	}
	m.Extra = withExtra(0)
	answers := m.Answer
	j := sort.Search(len(answers)+1, func(j int) bool {
		m.Answer = answers[:j]
		return m.Len() > size
	}) - 1
	m.Answer = answers[:max(j, 0)]
	m.Truncated = true
}

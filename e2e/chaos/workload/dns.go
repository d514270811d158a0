package workload

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"time"

	"github.com/miekg/dns"
)

// maxFailuresKept bounds DNSStats.Failures.
const maxFailuresKept = 10

// dnsProber asks one node for service records at about rate per second,
// only while the node is live, and counts the answers.
type dnsProber struct {
	h       *History
	node    int
	target  Target
	timeout time.Duration
	domain  string
}

func (p *dnsProber) run(ctx context.Context, rate float64, rng *rand.Rand) {
	client := &dns.Client{Net: "udp", Timeout: p.timeout}
	paced(ctx, rate, func(context.Context) {
		live, epoch := p.target.Live()
		if !live {
			return
		}
		name := Services[rng.IntN(len(Services))] + ".service." + p.domain
		qtype := dns.TypeA
		if rng.IntN(2) == 0 {
			qtype = dns.TypeSRV
		}
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		start := p.h.Now()
		resp, _, err := client.Exchange(m, p.target.DNSAddr)
		p.count(resp, err, epoch, start, name, qtype)
	})
}

// count files one answer, unless the node changed state meanwhile.
func (p *dnsProber) count(resp *dns.Msg, err error, epoch uint64, start time.Duration, name string, qtype uint16) {
	if live, e := p.target.Live(); !live || e != epoch {
		p.h.dnsUpdate(p.node, func(s *DNSStats) { s.Discarded++ })
		return
	}
	at := fmt.Sprintf("+%.2fs %s %s", start.Seconds(), dns.TypeToString[qtype], name)
	p.h.dnsUpdate(p.node, func(s *DNSStats) {
		s.Queries++
		fail := ""
		var ne net.Error
		switch {
		case err != nil && errors.As(err, &ne) && ne.Timeout():
			s.Timeout++
			fail = "timeout"
		case err != nil:
			s.OtherBad++
			fail = err.Error()
		case resp.Rcode == dns.RcodeSuccess || resp.Rcode == dns.RcodeNameError:
			s.Good++
		case resp.Rcode == dns.RcodeServerFailure:
			s.ServFail++
			fail = "SERVFAIL"
		default:
			s.OtherBad++
			fail = dns.RcodeToString[resp.Rcode]
		}
		if fail != "" && len(s.Failures) < maxFailuresKept {
			s.Failures = append(s.Failures, at+": "+fail)
		}
	})
}

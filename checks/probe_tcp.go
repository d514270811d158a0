package checks

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/rosterhq/roster/registry"
)

// tcpProbe is a TCP check: a connection accepted within the timeout is
// passing, anything else critical. The connection is closed at once.
type tcpProbe struct {
	addr    string
	timeout time.Duration
	dialer  net.Dialer
}

func newTCPProbe(addr string, timeout time.Duration) (*tcpProbe, error) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("invalid tcp check address %q: %w", addr, err)
	}
	return &tcpProbe{addr: addr, timeout: timeout}, nil
}

func (p *tcpProbe) probe(ctx context.Context) result {
	conn, err := p.dialer.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return result{registry.HealthCritical, clip(fmt.Sprintf("TCP connect %s: %s", p.addr, describe(ctx, err, p.timeout)), false)}
	}
	conn.Close()
	return result{registry.HealthPassing, fmt.Sprintf("TCP connect %s: Success", p.addr)}
}

func (p *tcpProbe) close() {}

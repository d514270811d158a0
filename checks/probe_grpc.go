package checks

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/rosterhq/roster/registry"
)

// grpcProbe is a gRPC check with the standard grpc.health.v1.Health/Check
// call: SERVING is passing, any other answer or error critical.
//
// Each probe dials its own connection and closes it. A long-lived channel
// would save a handshake per interval, but after an outage gRPC's reconnect
// backoff (up to two minutes) would keep the check critical long after the
// server is back; a fresh connection sees recovery on the next probe.
type grpcProbe struct {
	target  string // as written in the definition, for output
	addr    string
	service string
	creds   credentials.TransportCredentials
	timeout time.Duration
}

// newGRPCProbe parses GRPC as "host:port" or "host:port/service"; an empty
// service asks about the server as a whole.
func newGRPCProbe(d *registry.CheckDefinition, timeout time.Duration) (*grpcProbe, error) {
	addr, service, _ := strings.Cut(d.GRPC, "/")
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("invalid grpc check target %q: %w", d.GRPC, err)
	}
	creds := insecure.NewCredentials()
	if d.GRPCUseTLS {
		creds = credentials.NewTLS(&tls.Config{InsecureSkipVerify: d.TLSSkipVerify, ServerName: d.TLSServerName})
	}
	return &grpcProbe{target: d.GRPC, addr: addr, service: service, creds: creds, timeout: timeout}, nil
}

func (p *grpcProbe) probe(ctx context.Context) result {
	// passthrough: dial the address as written, as the old grpc.Dial did,
	// rather than through gRPC's DNS resolver.
	conn, err := grpc.NewClient("passthrough:///"+p.addr, grpc.WithTransportCredentials(p.creds))
	if err != nil {
		return p.critical(ctx, err)
	}
	defer conn.Close()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: p.service})
	if err != nil {
		return p.critical(ctx, err)
	}
	out := fmt.Sprintf("gRPC check %s: %s", p.target, resp.GetStatus())
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return result{registry.HealthCritical, out}
	}
	return result{registry.HealthPassing, out}
}

func (p *grpcProbe) critical(ctx context.Context, err error) result {
	msg := describe(ctx, err, p.timeout)
	if s, ok := status.FromError(err); ok && ctx.Err() == nil {
		msg = fmt.Sprintf("%s: %s", s.Code(), s.Message())
	}
	return result{registry.HealthCritical, clip(fmt.Sprintf("gRPC check %s: %s", p.target, msg), false)}
}

func (p *grpcProbe) close() {}

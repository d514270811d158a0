package checks

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/rosterhq/roster/registry"
)

// newHealthServer serves the standard health service on a loopback port.
func newHealthServer(t *testing.T, opts ...grpc.ServerOption) (*health.Server, *grpc.Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := health.NewServer()
	srv := grpc.NewServer(opts...)
	healthpb.RegisterHealthServer(srv, hs)
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)
	return hs, srv, ln.Addr().String()
}

func TestGRPCCheck(t *testing.T) {
	hs, srv, addr := newHealthServer(t)
	hs.SetServingStatus("web", healthpb.HealthCheckResponse_SERVING)

	m, rep := newTestManager(t, testConfig(t))
	def := registry.CheckDefinition{GRPC: addr + "/web", Interval: 200 * time.Millisecond}
	whole := serviceCheck("grpc-server", registry.CheckTypeGRPC, registry.CheckDefinition{GRPC: addr, Interval: 200 * time.Millisecond})
	m.Sync([]*registry.Check{serviceCheck("grpc", registry.CheckTypeGRPC, def), whole})

	if out := waitStatus(t, rep, "grpc", registry.HealthPassing).output; out != "gRPC check "+addr+"/web: SERVING" {
		t.Fatalf("output %q", out)
	}
	waitStatus(t, rep, "grpc-server", registry.HealthPassing) // "" is SERVING by default

	hs.SetServingStatus("web", healthpb.HealthCheckResponse_NOT_SERVING)
	if out := waitStatus(t, rep, "grpc", registry.HealthCritical).output; !strings.HasSuffix(out, "NOT_SERVING") {
		t.Fatalf("output %q", out)
	}
	hs.SetServingStatus("web", healthpb.HealthCheckResponse_SERVING)
	waitStatus(t, rep, "grpc", registry.HealthPassing)

	srv.Stop()
	if out := waitStatus(t, rep, "grpc", registry.HealthCritical).output; !strings.Contains(out, "Unavailable") {
		t.Fatalf("output %q", out)
	}
}

func TestGRPCCheckUnknownService(t *testing.T) {
	_, _, addr := newHealthServer(t)
	m, rep := newTestManager(t, testConfig(t))
	c := serviceCheck("grpc", registry.CheckTypeGRPC, registry.CheckDefinition{GRPC: addr + "/nope", Interval: 200 * time.Millisecond})
	c.Status = registry.HealthPassing
	m.Sync([]*registry.Check{c})
	if out := waitStatus(t, rep, "grpc", registry.HealthCritical).output; !strings.Contains(out, "NotFound") {
		t.Fatalf("output %q", out)
	}
}

func TestGRPCCheckTLSAgainstPlainServer(t *testing.T) {
	_, _, addr := newHealthServer(t)
	m, rep := newTestManager(t, testConfig(t))
	c := serviceCheck("grpc", registry.CheckTypeGRPC, registry.CheckDefinition{
		GRPC: addr, GRPCUseTLS: true, TLSSkipVerify: true, Interval: time.Second,
	})
	c.Status = registry.HealthPassing
	m.Sync([]*registry.Check{c})
	waitStatus(t, rep, "grpc", registry.HealthCritical)
}

func TestGRPCCheckTLS(t *testing.T) {
	cert := newTestCert(t, "grpc.test")
	_, _, addr := newHealthServer(t, grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}})))
	m, rep := newTestManager(t, testConfig(t))
	def := registry.CheckDefinition{GRPC: addr, GRPCUseTLS: true, TLSSkipVerify: true, Interval: time.Second}
	m.Sync([]*registry.Check{serviceCheck("grpc-tls", registry.CheckTypeGRPC, def)})
	waitStatus(t, rep, "grpc-tls", registry.HealthPassing)

	// Verified against the system roots, the self-signed certificate fails.
	def.TLSSkipVerify = false
	def.TLSServerName = "grpc.test"
	c := serviceCheck("grpc-tls", registry.CheckTypeGRPC, def)
	c.Status = registry.HealthPassing
	m.Sync([]*registry.Check{c})
	waitStatus(t, rep, "grpc-tls", registry.HealthCritical)
}

// newTestCert returns a self-signed certificate for name and 127.0.0.1.
func newTestCert(t *testing.T, name string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

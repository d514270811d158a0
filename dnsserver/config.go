package dnsserver

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Config configures a Server. It is a plain value: build one with
// DefaultConfig, change what the flags say, and call Validate (New does, on
// its own copy). The agent's flags map onto it like this:
//
//	--dns-addr          (not here: bind with Listen and pass to Start)
//	--domain            Domain
//	--dns-service-ttl   ServiceTTL
//	--dns-node-ttl      NodeTTL
//	--dns-soa-min-ttl   NegativeTTL
//	--dns-udp-size      UDPSize
//	--dns-a-limit       ALimit
//	--dns-only-passing  OnlyPassing
//	--dns-max-tcp-conns MaxTCPConns
//	--dns-tcp-idle      TCPIdleTimeout
//	--node              NodeName
type Config struct {
	// Domain is the zone roster is authoritative for, "roster." by default.
	// It is matched case-insensitively; a missing final dot is added.
	Domain string

	// ServiceTTL is the TTL of service answers (A, AAAA, SRV, CNAME) and of
	// <hex>.addr records. Whole seconds.
	ServiceTTL time.Duration
	// NodeTTL is the TTL of <node>.node and ns.<domain> records and of the NS
	// record. Whole seconds.
	NodeTTL time.Duration
	// NegativeTTL is the SOA MINIMUM and the SOA record's own TTL, so it is
	// how long resolvers cache NXDOMAIN and NODATA (RFC 2308). Whole seconds.
	NegativeTTL time.Duration

	// UDPSize is the largest UDP reply, used when a client's EDNS0 buffer is
	// larger, and the size the reply's OPT advertises. Clients without EDNS0
	// get 512 bytes. 512..65535.
	UDPSize int
	// ALimit caps the number of A/AAAA records in one answer; 0 means as many
	// as fit. It does not apply to SRV answers.
	ALimit int
	// OnlyPassing hides instances in warning: a service whose instances are
	// all in warning then answers NXDOMAIN, as one with none registered.
	OnlyPassing bool

	// NodeName is this agent's node. ns.<domain>, the target of the zone's NS
	// record and the SOA MNAME, resolves to that node's address. Empty: the
	// name exists but has no address records.
	NodeName string
	// SOASerial is the zone serial. 0 takes the Unix time at New, so a
	// restarted server announces a newer zone.
	SOASerial uint32

	// MaxTCPConns bounds concurrent TCP connections; further connections wait
	// in the kernel's accept queue until one closes.
	MaxTCPConns int
	// TCPIdleTimeout closes a TCP connection idle that long between queries.
	TCPIdleTimeout time.Duration
	// ReadTimeout bounds reading the first query of a TCP connection.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing a reply.
	WriteTimeout time.Duration

	// Logger receives the server's few log lines; nil discards them.
	Logger *slog.Logger
}

// DefaultConfig returns the defaults the issue and DESIGN.md name.
func DefaultConfig() Config {
	return Config{
		Domain:         "roster.",
		ServiceTTL:     5 * time.Second,
		NodeTTL:        30 * time.Second,
		NegativeTTL:    5 * time.Second,
		UDPSize:        1232,
		MaxTCPConns:    1024,
		TCPIdleTimeout: 8 * time.Second, // RFC 7766's suggestion, miekg's default
		ReadTimeout:    2 * time.Second,
		WriteTimeout:   2 * time.Second,
	}
}

// ErrInvalidConfig is wrapped by every error Validate returns.
var ErrInvalidConfig = errors.New("invalid dns config")

// Validate checks c and normalises Domain (lower case, fully qualified) in
// place. Every error it returns wraps ErrInvalidConfig and names the field.
func (c *Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
	}
	d := strings.ToLower(dns.Fqdn(strings.TrimSpace(c.Domain)))
	if d == "." {
		return bad("domain must not be empty or the root")
	}
	if _, ok := dns.IsDomainName(d); !ok || strings.Contains(d, `\`) {
		return bad("domain %q is not a plain domain name", c.Domain)
	}
	c.Domain = d
	for _, ttl := range []struct {
		name string
		v    time.Duration
	}{{"service TTL", c.ServiceTTL}, {"node TTL", c.NodeTTL}, {"negative TTL", c.NegativeTTL}} {
		if ttl.v < 0 || ttl.v%time.Second != 0 || ttl.v > math.MaxInt32*time.Second {
			return bad("%s %v must be whole seconds between 0 and 2^31-1", ttl.name, ttl.v)
		}
	}
	if c.UDPSize < dns.MinMsgSize || c.UDPSize > dns.MaxMsgSize {
		return bad("UDP size %d must be between %d and %d", c.UDPSize, dns.MinMsgSize, dns.MaxMsgSize)
	}
	if c.ALimit < 0 {
		return bad("A limit %d must not be negative", c.ALimit)
	}
	if c.MaxTCPConns < 1 {
		return bad("max TCP connections %d must be at least 1", c.MaxTCPConns)
	}
	if c.TCPIdleTimeout <= 0 || c.ReadTimeout <= 0 || c.WriteTimeout <= 0 {
		return bad("TCP idle, read and write timeouts must be positive")
	}
	return nil
}

func seconds(d time.Duration) uint32 { return uint32(d / time.Second) }

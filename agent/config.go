package agent

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/rosterhq/roster/consensus"
	"github.com/rosterhq/roster/dnsserver"
	"github.com/rosterhq/roster/gossip"
)

// Config configures an agent. cmd/roster fills it from flags; tests fill it
// directly (ports 0 pick free ones).
type Config struct {
	// NodeName must be unique in the cluster and a valid DNS label.
	NodeName string
	// DataDir holds the node ID, the Raft log and snapshots. Dev mode with
	// an empty DataDir uses a temporary directory removed on Stop.
	DataDir string
	Dev     bool

	// BindAddr is the IP the Raft and gossip ports listen on;
	// AdvertiseAddr the IP other nodes reach this one at (default BindAddr).
	BindAddr      string
	AdvertiseAddr string
	RaftPort      int
	GossipPort    int

	// Server makes this node a Raft voter. A non-server is added as a
	// non-voting member: it keeps a full replica (so its DNS answers
	// locally) and forwards writes, but does not count toward quorum.
	Server bool
	// BootstrapExpect, when positive, bootstraps a new cluster once that
	// many servers see each other through gossip. Zero: a node with no
	// Join bootstraps itself as a one-server cluster; one with Join waits
	// for the leader to add it.
	BootstrapExpect int
	// Join lists gossip addresses ("ip" or "ip:port") of existing members;
	// RetryJoinTimeout bounds the attempts (0: keep trying forever).
	Join             []string
	RetryJoinTimeout time.Duration
	// GossipProfile selects failure-detection timing (lan, local, fast).
	GossipProfile gossip.Profile

	// HTTPAddr is the API's listen address ("ip:port").
	HTTPAddr string
	// HTTPMaxConnsPerClient caps concurrent HTTP connections from one IP
	// (0: no cap). Each blocking query holds one connection.
	HTTPMaxConnsPerClient int
	// DNSAddr is the DNS server's UDP and TCP listen address; empty
	// disables DNS. DNS carries the DNS server's settings (NodeName is
	// filled in).
	DNSAddr    string
	DNS        dnsserver.Config
	Datacenter string

	// EnableScriptChecks allows checks that run programs.
	EnableScriptChecks bool
	// MinDeregisterCriticalAfter bounds DeregisterCriticalServiceAfter from
	// below (default one minute, as Consul).
	MinDeregisterCriticalAfter time.Duration

	// TombstoneTTL is how long a deleted KV key's tombstone is kept, so a
	// blocking prefix query sees the deletion's index move forward, before
	// the leader reaps it (Consul's default is also 15 minutes).
	TombstoneTTL time.Duration

	// Raft carries Raft's timing and snapshot settings; ID, DataDir and
	// addresses are filled in from the fields above.
	Raft consensus.Config

	// Version is reported by the API.
	Version string
	Logger  *slog.Logger
}

// DefaultConfig returns Consul's ports on loopback.
func DefaultConfig() Config {
	return Config{
		BindAddr:   "127.0.0.1",
		RaftPort:   8300,
		GossipPort: gossip.DefaultPort,
		Server:     true,

		GossipProfile: gossip.ProfileFast,
		HTTPAddr:      "127.0.0.1:8500",
		DNSAddr:       "127.0.0.1:8600",
		DNS:           dnsserver.DefaultConfig(),
		Datacenter:    "dc1",
		Raft:          consensus.DefaultConfig(),

		MinDeregisterCriticalAfter: time.Minute,
		TombstoneTTL:               15 * time.Minute,
		Version:                    "dev",
	}
}

// Validate reports the first problem with c.
func (c Config) Validate() error {
	if c.NodeName == "" {
		return errors.New("node name is required")
	}
	if !validLabel(c.NodeName) {
		return fmt.Errorf("node name %q is not a valid DNS label (letters, digits, inner hyphens, at most 63)", c.NodeName)
	}
	if c.DataDir == "" && !c.Dev {
		return errors.New("a data directory is required (or run with --dev)")
	}
	if net.ParseIP(c.BindAddr) == nil {
		return fmt.Errorf("bind address %q is not an IP address", c.BindAddr)
	}
	if c.AdvertiseAddr != "" && net.ParseIP(c.AdvertiseAddr) == nil {
		return fmt.Errorf("advertise address %q is not an IP address", c.AdvertiseAddr)
	}
	if c.RaftPort < 0 || c.RaftPort > 65535 {
		return fmt.Errorf("raft port %d is out of range", c.RaftPort)
	}
	if c.GossipPort < 0 || c.GossipPort > 65535 {
		return fmt.Errorf("gossip port %d is out of range", c.GossipPort)
	}
	if c.TombstoneTTL <= 0 {
		return errors.New("tombstone TTL must be positive")
	}
	if c.BootstrapExpect < 0 {
		return fmt.Errorf("bootstrap-expect %d must not be negative", c.BootstrapExpect)
	}
	if c.BootstrapExpect > 0 && !c.Server {
		return errors.New("bootstrap-expect needs a server (--server)")
	}
	if !c.Server && len(c.Join) == 0 {
		return errors.New("a non-server agent needs --join to find the cluster")
	}
	if _, err := gossip.ParseProfile(string(c.GossipProfile)); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		return fmt.Errorf("http address %q: %w", c.HTTPAddr, err)
	}
	if c.DNSAddr != "" {
		if _, _, err := net.SplitHostPort(c.DNSAddr); err != nil {
			return fmt.Errorf("dns address %q: %w", c.DNSAddr, err)
		}
		dc := c.DNS
		if err := dc.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// advertiseIP is the address this node announces.
func (c Config) advertiseIP() string {
	if c.AdvertiseAddr != "" {
		return c.AdvertiseAddr
	}
	return c.BindAddr
}

func validLabel(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' && i > 0 && i < len(s)-1) {
			return false
		}
	}
	return true
}

// shutdownGrace bounds how long Stop waits for in-flight HTTP requests.
const shutdownGrace = 5 * time.Second

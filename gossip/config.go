package gossip

import (
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"time"
)

// DefaultPort is the gossip port (Consul's serf LAN port).
const DefaultPort = 8301

// Config configures a Pool. Build it with DefaultConfig, change fields, and
// pass it to New, which calls Validate. New copies it; later changes to the
// caller's Config have no effect.
type Config struct {
	// NodeName must be unique in the cluster. A second node with the same
	// name and a different address is rejected by the others (logged as a
	// name conflict) while the first one is alive.
	NodeName string

	// BindAddr is the IP address the UDP and TCP listeners bind to
	// ("0.0.0.0" for all IPv4 interfaces).
	BindAddr string
	// BindPort is the UDP and TCP port. 0 picks a free port (tests); the
	// chosen port is LocalMember().Port.
	BindPort int

	// AdvertiseAddr is the IP address other nodes reach this one at. Empty
	// means derived from BindAddr (a private interface address when
	// BindAddr is unspecified).
	AdvertiseAddr string
	// AdvertisePort is the port other nodes reach this one at; 0 means the
	// bound port.
	AdvertisePort int

	// Meta is advertised to every other node. See Meta.
	Meta Meta

	// Profile selects failure-detection timing. Timing, when set, overrides
	// it field by field (for experiments and benchmarks).
	Profile Profile
	Timing  *Timing

	// Logger receives this package's logs and memberlist's, at matching
	// levels. nil discards them.
	Logger *slog.Logger

	// RetryJoinInterval is the wait between attempts in RetryJoin.
	RetryJoinInterval time.Duration

	// FailedRetention and LeftRetention say how long a failed or left member
	// stays in Members before an EventReap forgets it.
	FailedRetention time.Duration
	LeftRetention   time.Duration

	// NameReclaimDelay is how long after a node is declared failed another
	// address (a restart on a new IP or port) may take its name. 0 means at
	// once; negative means never (only the old address may come back).
	// A left node's name is always free at once.
	NameReclaimDelay time.Duration
}

// DefaultConfig returns a Config for an agent: the host name as node name,
// all interfaces on DefaultPort, ProfileFast, a 1 s retry interval, failed
// members remembered for 72 h and left ones for 24 h (Consul's reconnect
// and tombstone defaults). Meta is left for the caller to fill in.
func DefaultConfig() Config {
	host, _ := os.Hostname()
	return Config{
		NodeName:          host,
		BindAddr:          "0.0.0.0",
		BindPort:          DefaultPort,
		Meta:              Meta{Role: RoleServer},
		Profile:           ProfileFast,
		RetryJoinInterval: time.Second,
		FailedRetention:   72 * time.Hour,
		LeftRetention:     24 * time.Hour,
	}
}

// Validate reports the first invalid field. Errors wrap ErrInvalidConfig,
// or ErrMetaTooLarge for oversize metadata. It has no side effects.
func (c Config) Validate() error {
	if c.NodeName == "" {
		return fmt.Errorf("%w: node name is empty", ErrInvalidConfig)
	}
	if len(c.NodeName) > 128 {
		return fmt.Errorf("%w: node name longer than 128 bytes", ErrInvalidConfig)
	}
	if _, err := netip.ParseAddr(c.BindAddr); err != nil {
		return fmt.Errorf("%w: bind address %q: want an IP address", ErrInvalidConfig, c.BindAddr)
	}
	if c.AdvertiseAddr != "" {
		if _, err := netip.ParseAddr(c.AdvertiseAddr); err != nil {
			return fmt.Errorf("%w: advertise address %q: want an IP address", ErrInvalidConfig, c.AdvertiseAddr)
		}
	}
	if c.BindPort < 0 || c.BindPort > 65535 || c.AdvertisePort < 0 || c.AdvertisePort > 65535 {
		return fmt.Errorf("%w: ports must be in 0..65535", ErrInvalidConfig)
	}
	if _, err := c.timing(); err != nil {
		return err
	}
	if c.RetryJoinInterval <= 0 {
		return fmt.Errorf("%w: retry join interval must be > 0", ErrInvalidConfig)
	}
	if c.FailedRetention <= 0 || c.LeftRetention <= 0 {
		return fmt.Errorf("%w: failed and left retention must be > 0", ErrInvalidConfig)
	}
	if err := c.Meta.Validate(); err != nil {
		return fmt.Errorf("meta: %w", err)
	}
	return nil
}

// timing resolves Profile and the Timing override.
func (c Config) timing() (Timing, error) {
	if c.Timing != nil {
		return *c.Timing, c.Timing.validate()
	}
	t, err := c.Profile.Timing()
	if err != nil {
		return Timing{}, err
	}
	return t, t.validate()
}

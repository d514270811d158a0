package gossip

import (
	"fmt"
	"net"

	"github.com/hashicorp/memberlist"
)

// MaxMetaSize is memberlist's hard limit on a node's encoded metadata.
// Larger metadata would make memberlist panic; Meta.Validate checks it.
const MaxMetaSize = memberlist.MetaMaxSize

// Role is what a node does in the cluster.
type Role string

// Roles. A server is a Raft voter candidate; a client only serves DNS/HTTP.
const (
	RoleServer Role = "server"
	RoleClient Role = "client"
)

// Meta is the metadata every node advertises through gossip. Addresses are
// "host:port" strings as the other nodes should dial them (advertised, not
// bind, addresses); an empty address means the node does not serve it
// (a client has no RaftAddr). Meta is a plain value, safe to copy.
type Meta struct {
	ID       string // stable node ID (survives renames), e.g. a UUID
	Role     Role   // RoleServer or RoleClient
	RaftAddr string // Raft transport address; servers only
	HTTPAddr string // HTTP API address
	DNSAddr  string // DNS server address
	Version  string // build version, informational
}

// IsServer reports whether the node is a Raft server.
func (m Meta) IsServer() bool { return m.Role == RoleServer }

// Validate checks the role, that non-empty addresses are host:port, and
// that the encoded form (with the pool's boot token) fits in MaxMetaSize.
// Errors wrap ErrInvalidConfig or ErrMetaTooLarge.
func (m Meta) Validate() error {
	switch m.Role {
	case RoleServer, RoleClient:
	default:
		return fmt.Errorf("%w: meta role %q: want %q or %q", ErrInvalidConfig, m.Role, RoleServer, RoleClient)
	}
	for _, a := range []struct{ name, addr string }{
		{"raft", m.RaftAddr}, {"http", m.HTTPAddr}, {"dns", m.DNSAddr},
	} {
		if a.addr == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(a.addr); err != nil {
			return fmt.Errorf("%w: meta %s address %q: want host:port", ErrInvalidConfig, a.name, a.addr)
		}
	}
	if n := len(encodeMeta(m, 0)); n > MaxMetaSize {
		return fmt.Errorf("%w: %d bytes encoded, limit %d", ErrMetaTooLarge, n, MaxMetaSize)
	}
	return nil
}

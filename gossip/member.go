package gossip

import (
	"net/netip"
	"time"
)

// Status is a member's liveness as this pool sees it. The numeric values
// match Consul's /v1/agent/members "Status" field (serf's MemberStatus),
// so the HTTP API can emit them unchanged.
type Status int

// Statuses. memberlist does not report "suspect" to delegates, so a suspect
// node stays StatusAlive until it is refuted or declared failed.
const (
	StatusNone    Status = 0 // zero value; never reported for a known member
	StatusAlive   Status = 1
	StatusLeaving Status = 2 // its leave intent was heard; still reachable
	StatusLeft    Status = 3 // left gracefully
	StatusFailed  Status = 4 // declared dead by the failure detector
)

// String returns "alive", "leaving", "left", "failed" or "none".
func (s Status) String() string {
	switch s {
	case StatusAlive:
		return "alive"
	case StatusLeaving:
		return "leaving"
	case StatusLeft:
		return "left"
	case StatusFailed:
		return "failed"
	default:
		return "none"
	}
}

// Up reports whether the member is reachable and serving (alive or still
// leaving). DNS should return instances only of members that are Up.
func (s Status) Up() bool { return s == StatusAlive || s == StatusLeaving }

// Member is one node of the pool as this pool last saw it. It is a value:
// copies share nothing with the pool.
type Member struct {
	Name   string     // unique node name
	Addr   netip.Addr // gossip address
	Port   uint16     // gossip port
	Meta   Meta       // decoded metadata; zero if the node sent none or garbage
	Status Status
	Since  time.Time // when this pool saw Status change (local clock)

	boot uint64 // the node's boot token: which run of the node this is
}

// Address returns the gossip address as "host:port", suitable for Join.
func (m Member) Address() string {
	return netip.AddrPortFrom(m.Addr, m.Port).String()
}

// sameState reports whether m and o differ in nothing a consumer acts on
// (Since is ignored; a restart, even with the same address and metadata,
// is a different state).
func (m Member) sameState(o Member) bool {
	return m.Name == o.Name && m.Addr == o.Addr && m.Port == o.Port &&
		m.Meta == o.Meta && m.Status == o.Status && m.boot == o.boot
}

// String is for logs: "name (addr:port) status".
func (m Member) String() string {
	return m.Name + " (" + m.Address() + ") " + m.Status.String()
}

package gossip

import (
	"context"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// delegate is what memberlist calls into. memberlist invokes these methods
// from its own goroutines, the event methods while holding its node lock,
// so every method here returns promptly, never blocks on the consumer and
// never calls back into memberlist.
type delegate struct {
	table *table
	log   *slog.Logger
	meta  atomic.Pointer[[]byte] // encoded local metadata, see setMeta

	// stopped is set by Shutdown: memberlist's timers may still fire
	// callbacks afterwards, and a stopped pool's view stays frozen.
	stopped atomic.Bool
}

var (
	_ memberlist.Delegate         = (*delegate)(nil)
	_ memberlist.EventDelegate    = (*delegate)(nil)
	_ memberlist.ConflictDelegate = (*delegate)(nil)
)

// setMeta replaces the metadata returned by NodeMeta. The caller has
// checked the size (Meta.Validate).
func (d *delegate) setMeta(m Meta, leaving bool) {
	b := encodeMeta(m, leaving)
	d.meta.Store(&b)
}

// NodeMeta implements memberlist.Delegate.
func (d *delegate) NodeMeta(limit int) []byte {
	b := *d.meta.Load()
	if len(b) > limit { // unreachable: Validate checks MaxMetaSize
		d.log.Error("node metadata over limit, advertising none", "size", len(b), "limit", limit)
		return nil
	}
	return b
}

// NotifyMsg, GetBroadcasts, LocalState and MergeRemoteState implement
// memberlist.Delegate; roster sends no user messages through gossip.
func (d *delegate) NotifyMsg([]byte)                           {}
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *delegate) LocalState(join bool) []byte                { return nil }
func (d *delegate) MergeRemoteState(buf []byte, join bool)     {}

// NotifyJoin implements memberlist.EventDelegate.
func (d *delegate) NotifyJoin(n *memberlist.Node) { d.observe(n, false) }

// NotifyUpdate implements memberlist.EventDelegate.
func (d *delegate) NotifyUpdate(n *memberlist.Node) { d.observe(n, false) }

// NotifyLeave implements memberlist.EventDelegate. It is called both for a
// graceful leave and for a failure; the leaving flag in the node's last
// metadata tells them apart (see doc.go).
func (d *delegate) NotifyLeave(n *memberlist.Node) { d.observe(n, true) }

func (d *delegate) observe(n *memberlist.Node, gone bool) {
	if d.stopped.Load() {
		return
	}
	meta, leaving, err := decodeMeta(n.Meta)
	if err != nil {
		d.log.Warn("ignoring undecodable node metadata", "member", n.Name, "err", err)
	}
	m := Member{Name: n.Name, Port: n.Port, Meta: meta}
	if a, ok := netip.AddrFromSlice(n.Addr); ok {
		m.Addr = a.Unmap()
	}
	switch {
	case gone && leaving:
		m.Status = StatusLeft
	case gone:
		m.Status = StatusFailed
	case leaving:
		m.Status = StatusLeaving
	default:
		m.Status = StatusAlive
	}
	if d.table.observe(m, time.Now()) {
		level := slog.LevelInfo
		if m.Status == StatusFailed {
			level = slog.LevelWarn
		}
		d.log.Log(context.Background(), level, "member "+m.Status.String(), "member", m.Name, "addr", m.Address())
	}
}

// NotifyConflict implements memberlist.ConflictDelegate: another node
// claims an existing node's name from a different address. memberlist
// rejects the newcomer; the operator has to fix the names.
func (d *delegate) NotifyConflict(existing, other *memberlist.Node) {
	d.log.Error("node name conflict: another node claims this name from a different address; it is ignored until the current holder fails or leaves",
		"member", existing.Name, "holder", existing.Address(), "claimant", other.Address())
}

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
	table  *table
	log    *slog.Logger
	queue  *memberlist.TransmitLimitedQueue // leave intents to gossip
	boot   uint64                           // this pool's boot token
	meta   atomic.Pointer[[]byte]           // encoded local metadata
	logged atomic.Bool                      // an undecodable message was logged

	// stopped is set by Shutdown: memberlist's timers may still fire
	// callbacks afterwards, and a stopped pool's view stays frozen.
	stopped atomic.Bool
}

var (
	_ memberlist.Delegate         = (*delegate)(nil)
	_ memberlist.EventDelegate    = (*delegate)(nil)
	_ memberlist.ConflictDelegate = (*delegate)(nil)
)

func newDelegate(t *table, log *slog.Logger, boot uint64, retransmitMult int) *delegate {
	d := &delegate{table: t, log: log, boot: boot}
	d.queue = &memberlist.TransmitLimitedQueue{NumNodes: t.numUp, RetransmitMult: retransmitMult}
	return d
}

// setMeta replaces the metadata returned by NodeMeta. The caller has
// checked the size (Meta.Validate).
func (d *delegate) setMeta(m Meta) {
	b := encodeMeta(m, d.boot)
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

// NotifyMsg implements memberlist.Delegate: a gossiped leave intent.
func (d *delegate) NotifyMsg(b []byte) {
	if d.stopped.Load() || len(b) == 0 {
		return
	}
	name, boot, err := decodeIntent(b)
	if err != nil {
		if !d.logged.Swap(true) { // once: a foreign sender would flood the log
			d.log.Warn("ignoring unknown gossip user message", "err", err)
		}
		return
	}
	d.applyIntent(name, boot, true)
}

// applyIntent records a leave intent and, if it is new and gossip is
// true, passes it on.
func (d *delegate) applyIntent(name string, boot uint64, gossip bool) {
	m, isNew := d.table.intent(name, boot, time.Now())
	if !isNew {
		return
	}
	if gossip {
		d.queue.QueueBroadcast(newIntentBroadcast(name, boot, nil))
	}
	if m.Name != "" {
		d.log.Info("member "+m.Status.String(), "member", m.Name, "addr", m.Address())
	}
}

// GetBroadcasts implements memberlist.Delegate.
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte {
	return d.queue.GetBroadcasts(overhead, limit)
}

// LocalState implements memberlist.Delegate: recent leave intents ride
// along in push/pull, so a node that missed their gossip still learns them.
func (d *delegate) LocalState(join bool) []byte {
	return encodeIntentState(d.table.recentIntents(time.Now()))
}

// MergeRemoteState implements memberlist.Delegate.
func (d *delegate) MergeRemoteState(buf []byte, join bool) {
	if d.stopped.Load() {
		return
	}
	ins, err := decodeIntentState(buf)
	if err != nil {
		d.log.Warn("ignoring undecodable push/pull state", "err", err)
		return
	}
	for name, boot := range ins {
		d.applyIntent(name, boot, false)
	}
}

// NotifyJoin implements memberlist.EventDelegate.
func (d *delegate) NotifyJoin(n *memberlist.Node) { d.observe(n, false) }

// NotifyUpdate implements memberlist.EventDelegate.
func (d *delegate) NotifyUpdate(n *memberlist.Node) { d.observe(n, false) }

// NotifyLeave implements memberlist.EventDelegate. It is called both for a
// graceful leave and for a failure; the table tells them apart by the
// leave intents it has heard (see intent.go).
func (d *delegate) NotifyLeave(n *memberlist.Node) { d.observe(n, true) }

func (d *delegate) observe(n *memberlist.Node, gone bool) {
	if d.stopped.Load() {
		return
	}
	meta, boot, err := decodeMeta(n.Meta)
	if err != nil {
		d.log.Warn("ignoring undecodable node metadata", "member", n.Name, "err", err)
	}
	m := Member{Name: n.Name, Port: n.Port, Meta: meta, boot: boot}
	if a, ok := netip.AddrFromSlice(n.Addr); ok {
		m.Addr = a.Unmap()
	}
	m, changed := d.table.observe(m, gone, time.Now())
	if changed {
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

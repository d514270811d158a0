package gossip

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// table is the pool's view of its members plus the changes not yet
// delivered to the consumer. Every method takes only t.mu, briefly, and
// never calls out, so memberlist callbacks may use it while holding
// memberlist's own locks. Safe for concurrent use.
type table struct {
	mu      sync.Mutex
	members map[string]Member // current view, including failed and left

	// Undelivered changes: the latest per node, in order of each node's
	// first undelivered change. This is where a slow consumer's backlog
	// coalesces: it never holds more than one entry per node.
	pending map[string]change
	order   []string

	// delivered is the state last handed to the consumer per node; the
	// event type is derived from it, so coalescing never produces an
	// impossible transition.
	delivered map[string]Member

	// intents: node name → leave intent heard (see intent.go).
	intents map[string]intentRec

	up atomic.Int64 // members with an Up status, self included

	wake chan struct{} // 1-buffered; poked after every enqueue
}

type intentRec struct {
	boot uint64
	at   time.Time
}

// intentTTL is how long a leave intent is kept and passed on in push/pull.
// It only has to outlive the node's own leave by the time gossip needs.
const intentTTL = 10 * time.Minute

type change struct {
	m    Member
	reap bool // the member was forgotten
}

func newTable() *table {
	return &table{
		members:   make(map[string]Member),
		pending:   make(map[string]change),
		delivered: make(map[string]Member),
		intents:   make(map[string]intentRec),
		wake:      make(chan struct{}, 1),
	}
}

// observe records what memberlist reports about a node: up (NotifyJoin,
// NotifyUpdate) or gone (NotifyLeave). m.Status is ignored: it is derived
// here, from gone and any leave intent heard for this run of the node. It
// returns the member as recorded and whether its status changed.
func (t *table) observe(m Member, gone bool, now time.Time) (Member, bool) {
	t.mu.Lock()
	it, ok := t.intents[m.Name]
	leaving := ok && it.boot == m.boot
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
	m, changed := t.setLocked(m, now)
	t.mu.Unlock()
	t.poke()
	return m, changed
}

// intent records a leave intent for the named node's run boot. An up member
// of that run becomes leaving; a failed one becomes left (the intent was
// overtaken by the failure verdict). It reports whether the intent was new,
// i.e. should be gossiped on.
func (t *table) intent(name string, boot uint64, now time.Time) (Member, bool) {
	t.mu.Lock()
	defer t.poke()
	defer t.mu.Unlock()
	if it, ok := t.intents[name]; ok && it.boot == boot {
		return Member{}, false
	}
	t.intents[name] = intentRec{boot: boot, at: now}
	m, ok := t.members[name]
	if !ok || m.boot != boot {
		return Member{}, true
	}
	switch m.Status {
	case StatusAlive:
		m.Status = StatusLeaving
	case StatusFailed:
		m.Status = StatusLeft
	default:
		return m, true
	}
	m, _ = t.setLocked(m, now)
	return m, true
}

// recentIntents returns the intents younger than intentTTL, for push/pull.
func (t *table) recentIntents(now time.Time) map[string]uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]uint64, len(t.intents))
	for name, it := range t.intents {
		if now.Sub(it.at) < intentTTL {
			out[name] = it.boot
		}
	}
	return out
}

// setLocked stores m, keeping Since unless the status changed, and queues
// the change for the consumer. The caller holds t.mu and pokes afterwards.
func (t *table) setLocked(m Member, now time.Time) (Member, bool) {
	old, ok := t.members[m.Name]
	changed := !ok || old.Status != m.Status
	if changed {
		m.Since = now
	} else {
		m.Since = old.Since
	}
	t.members[m.Name] = m
	t.enqueueLocked(change{m: m})
	t.countLocked()
	return m, changed
}

// countLocked refreshes the up count (the broadcast queue reads it from
// memberlist's goroutines without taking t.mu).
func (t *table) countLocked() {
	n := 0
	for _, m := range t.members {
		if m.Status.Up() {
			n++
		}
	}
	t.up.Store(int64(n))
}

// numUp returns how many members are up, self included. Lock-free.
func (t *table) numUp() int { return int(t.up.Load()) }

// reap forgets failed members older than failedTTL and left members older
// than leftTTL, queuing an EventReap for each, and drops leave intents
// older than intentTTL. It returns how many members it forgot.
func (t *table) reap(now time.Time, failedTTL, leftTTL time.Duration) int {
	t.mu.Lock()
	n := 0
	for name, m := range t.members {
		ttl := failedTTL
		switch m.Status {
		case StatusFailed:
		case StatusLeft:
			ttl = leftTTL
		default:
			continue
		}
		if now.Sub(m.Since) < ttl {
			continue
		}
		delete(t.members, name)
		t.enqueueLocked(change{m: m, reap: true})
		n++
	}
	for name, it := range t.intents {
		if now.Sub(it.at) >= intentTTL {
			delete(t.intents, name)
		}
	}
	t.mu.Unlock()
	if n > 0 {
		t.poke()
	}
	return n
}

func (t *table) enqueueLocked(c change) {
	if _, ok := t.pending[c.m.Name]; !ok {
		t.order = append(t.order, c.m.Name)
	}
	t.pending[c.m.Name] = c
}

func (t *table) poke() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// next pops the oldest pending change that means something to the consumer
// and returns its event. ok is false when nothing is pending. It assumes the
// returned event will be delivered; only the pump calls it.
func (t *table) next() (ev Event, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.order) > 0 {
		name := t.order[0]
		t.order = t.order[1:]
		c := t.pending[name]
		delete(t.pending, name)
		prev, seen := t.delivered[name]
		typ, ok := eventFor(prev, seen, c)
		if !ok {
			continue
		}
		if typ == EventReap {
			delete(t.delivered, name)
		} else {
			t.delivered[name] = c.m
		}
		return Event{Type: typ, Member: c.m}, true
	}
	t.order = t.order[:0]
	return Event{}, false
}

// eventFor derives the event for change c given the state last delivered
// for the node (seen is false if none). ok is false if the consumer already
// has this state.
func eventFor(prev Member, seen bool, c change) (EventType, bool) {
	switch {
	case c.reap:
		return EventReap, seen
	case c.m.Status.Up():
		if !seen || !prev.Status.Up() {
			return EventJoin, true
		}
		return EventUpdate, !prev.sameState(c.m)
	case seen && prev.sameState(c.m):
		return 0, false
	case c.m.Status == StatusLeft:
		return EventLeft, true
	default:
		return EventFailed, true
	}
}

// get returns the current state of the named member.
func (t *table) get(name string) (Member, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m, ok := t.members[name]
	return m, ok
}

// snapshot returns every known member sorted by name.
func (t *table) snapshot() []Member {
	t.mu.Lock()
	out := make([]Member, 0, len(t.members))
	for _, m := range t.members {
		out = append(out, m)
	}
	t.mu.Unlock()
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	return out
}

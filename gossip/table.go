package gossip

import (
	"slices"
	"strings"
	"sync"
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

	wake chan struct{} // 1-buffered; poked after every enqueue
}

type change struct {
	m    Member
	reap bool // the member was forgotten
}

func newTable() *table {
	return &table{
		members:   make(map[string]Member),
		pending:   make(map[string]change),
		delivered: make(map[string]Member),
		wake:      make(chan struct{}, 1),
	}
}

// observe records m as the node's current state. Since is kept from the
// previous state unless the status changed, in which case it becomes now.
// It reports whether the status changed.
func (t *table) observe(m Member, now time.Time) bool {
	t.mu.Lock()
	old, ok := t.members[m.Name]
	changed := !ok || old.Status != m.Status
	if changed {
		m.Since = now
	} else {
		m.Since = old.Since
	}
	t.members[m.Name] = m
	t.enqueueLocked(change{m: m})
	t.mu.Unlock()
	t.poke()
	return changed
}

// reap forgets failed members older than failedTTL and left members older
// than leftTTL, queuing an EventReap for each. It returns how many.
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

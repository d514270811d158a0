package checks

import (
	"fmt"
	"sync"

	"github.com/rosterhq/roster/registry"
)

// Manager owns the runners of this node's checks. All its methods are safe
// for concurrent use.
type Manager struct {
	cfg Config
	rep Reporter

	syncMu sync.Mutex // serialises Sync and Stop

	mu      sync.Mutex // guards runners and stopped
	runners map[string]*runner
	stopped bool
}

// NewManager returns a Manager that reports through r, which must not be nil.
// Zero fields of cfg take their defaults. No check runs until Sync.
func NewManager(cfg Config, r Reporter) *Manager {
	if r == nil {
		panic("checks: nil Reporter")
	}
	return &Manager{cfg: cfg.withDefaults(), rep: r, runners: make(map[string]*runner)}
}

// Sync makes the running checks match desired, the replicated set of this
// node's checks. Call it at start (after a restart too: runners are rebuilt
// from the replicated state) and whenever that set changes.
//
//   - A check that is new gets a runner that starts from the check's
//     replicated Status and Output, so a probe that agrees writes nothing.
//   - A check whose type, service or definition changed is restarted.
//   - A check that is gone is stopped.
//   - A check that is unchanged is left alone; if its replicated status or
//     output differs from what its runner last wrote, the runner learns it
//     and writes its own verdict again.
//
// Checks of a type the Manager does not run (the node-liveness check, type
// "") are ignored. Sync is idempotent and cheap when nothing changed. It
// blocks until the runners it stops have exited, which takes as long as an
// in-flight Reporter call takes to honour its cancelled context; after Sync
// returns, removed checks make no more Reporter calls. Sync after Stop does
// nothing.
func (m *Manager) Sync(desired []*registry.Check) {
	m.syncMu.Lock()
	defer m.syncMu.Unlock()

	m.mu.Lock()
	if m.stopped {
		m.mu.Unlock()
		return
	}
	keep := make(map[string]bool, len(desired))
	var old, fresh []*runner
	var replaced map[*runner]*runner // old runner to its replacement
	for _, c := range desired {
		if c == nil || !runs(c.Type) || keep[c.CheckID] {
			continue
		}
		keep[c.CheckID] = true
		cur := m.runners[c.CheckID]
		if cur != nil && cur.sameSpec(c) {
			cur.observe(c)
			continue
		}
		r := newRunner(c, &m.cfg, m.rep)
		if cur != nil {
			if replaced == nil {
				replaced = make(map[*runner]*runner)
			}
			old = append(old, cur)
			replaced[cur] = r
		}
		m.runners[c.CheckID] = r
		fresh = append(fresh, r)
	}
	for id, r := range m.runners {
		if !keep[id] {
			old = append(old, r)
			delete(m.runners, id)
		}
	}
	m.mu.Unlock()

	// Stop the old runners before starting their replacements, so two
	// runners never write the same check.
	stopAll(old)
	for cur, r := range replaced {
		// A TTL report that reached the old runner but was not handled
		// yet is not lost.
		if v, ok := cur.ttlBox.take(); ok && r.ttlBox != nil {
			r.ttlBox.putIfEmpty(v)
		}
	}
	for _, r := range fresh {
		r.start()
	}
}

// UpdateTTL records a report of the TTL check checkID: its status and output
// (the output is cut to MaxOutputSize) and a renewed TTL. It does not block:
// the check's runner writes a status change at once and coalesces
// output-only changes, after UpdateTTL has returned. Errors: ErrInvalidStatus,
// ErrUnknownCheck (not running on this agent), ErrNotTTL.
func (m *Manager) UpdateTTL(checkID string, status registry.Health, output string) error {
	if !status.Valid() {
		return fmt.Errorf("update check %q: %w: %q", checkID, ErrInvalidStatus, status)
	}
	m.mu.Lock()
	r := m.runners[checkID]
	m.mu.Unlock()
	switch {
	case r == nil:
		return fmt.Errorf("update check %q: %w", checkID, ErrUnknownCheck)
	case r.ttlBox == nil:
		return fmt.Errorf("update check %q: %w", checkID, ErrNotTTL)
	}
	r.ttlBox.put(result{Status: status, Output: clip(output, false)})
	return nil
}

// Stop stops every runner and waits until they have exited (see Sync for
// how long that takes). Later calls to Sync do nothing and UpdateTTL returns
// ErrUnknownCheck. Stop is idempotent.
func (m *Manager) Stop() {
	m.syncMu.Lock()
	defer m.syncMu.Unlock()
	m.mu.Lock()
	m.stopped = true
	old := make([]*runner, 0, len(m.runners))
	for id, r := range m.runners {
		old = append(old, r)
		delete(m.runners, id)
	}
	m.mu.Unlock()
	stopAll(old)
}

// stopAll cancels runners together, then waits for each.
func stopAll(rs []*runner) {
	for _, r := range rs {
		r.cancel()
	}
	for _, r := range rs {
		<-r.done
	}
}

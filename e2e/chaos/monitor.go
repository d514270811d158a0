package chaos

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/rosterhq/roster/e2e/chaos/checker"
	"github.com/rosterhq/roster/e2e/chaos/cluster"
)

// monitor polls every live node's Raft role and term (from /v1/agent/self
// Stats.raft, when the agent reports it) and records who claimed to lead
// in which term. The logs' "election won" lines catch every election; the
// poll is a second, independent witness.
type monitor struct {
	c  *cluster.Cluster
	sr *stateReader

	mu        sync.Mutex
	terms     checker.Terms
	supported bool // some node reported raft stats
	samples   int
}

func newMonitor(c *cluster.Cluster, sr *stateReader) *monitor {
	return &monitor{c: c, sr: sr, terms: checker.Terms{}}
}

// run polls every interval until ctx ends.
func (m *monitor) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, n := range m.c.Nodes {
			if live, _ := n.Live(); !live {
				continue
			}
			pctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
			rs, ok := m.sr.raftStats(pctx, n)
			cancel()
			if !ok {
				continue
			}
			term, err := strconv.ParseUint(rs["term"], 10, 64)
			m.mu.Lock()
			m.supported = true
			m.samples++
			if err == nil && rs["state"] == "Leader" {
				m.terms.Observe(term, n.Name)
			}
			m.mu.Unlock()
		}
	}
}

// result returns the polled terms and whether polling was possible.
func (m *monitor) result() (checker.Terms, bool, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := checker.Terms{}
	for term, nodes := range m.terms {
		for _, n := range nodes {
			out.Observe(term, n)
		}
	}
	return out, m.supported, m.samples
}

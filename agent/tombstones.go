package agent

import (
	"context"
	"time"

	"github.com/rosterhq/roster/registry"
)

// tombstoneReaper remembers which Raft index was applied when, so the
// leader can reap tombstones older than tombstoneTTL. The decision (the
// cut-off index) is made here from the leader's clock; the command carries
// only the index, so Apply stays deterministic.
type tombstoneReaper struct {
	ttl     time.Duration
	samples []indexSample
}

type indexSample struct {
	at    time.Time
	index uint64
}

// observe records the applied index now and returns the newest index that
// was applied at least ttl ago (0 if none).
func (r *tombstoneReaper) observe(now time.Time, applied uint64) uint64 {
	r.samples = append(r.samples, indexSample{at: now, index: applied})
	var cut uint64
	i := 0
	for i < len(r.samples) && now.Sub(r.samples[i].at) >= r.ttl {
		cut = r.samples[i].index
		i++
	}
	// Keep the last expired sample's successors only.
	r.samples = r.samples[i:]
	return cut
}

// reapTombstones proposes ReapTombstones when old tombstones exist.
func (a *Agent) reapTombstones(ctx context.Context, r *tombstoneReaper) {
	cut := r.observe(time.Now(), a.store.AppliedIndex())
	if cut == 0 || !a.store.HasTombstonesUpTo(cut) {
		return
	}
	a.write(ctx, "reap tombstones", &registry.ReapTombstones{Index: cut})
}

package checks

import (
	"time"

	"github.com/rosterhq/roster/registry"
)

// result is one probe's verdict, or one report of a TTL check.
type result struct {
	Status registry.Health
	Output string
}

// update is a write to make through the Reporter.
type update struct {
	Status registry.Health
	Output string
}

// state is what a runner knows about its check. It is a value: the functions
// below are pure and take the time as an argument, so tests drive them with
// tables and no clock.
type state struct {
	// Status and Output are the check's current verdict after thresholds:
	// what the replicated state should hold.
	Status registry.Health
	Output string
	// Successes and Failures count consecutive results, saturated at their
	// thresholds.
	Successes int
	Failures  int
	// Fresh is set until the runner has a result of its own. While it is set
	// an observed replicated status replaces the seed (see observe).
	Fresh bool

	// Reported and ReportedOutput are what the replicated state holds as far
	// as the runner knows; ReportedAt is when they were last written (or
	// seeded), for coalescing output-only changes.
	Reported       registry.Health
	ReportedOutput string
	ReportedAt     time.Time
}

// seed starts a runner's state from its check's replicated status and output,
// as if that status had been reached by meeting its threshold. now starts the
// output coalescing period, so a restart does not rewrite every check's output
// at once.
func (th thresholds) seed(status registry.Health, output string, now time.Time) state {
	st := state{
		Status:         status,
		Output:         output,
		Successes:      th.successBeforePassing,
		Fresh:          true,
		Reported:       status,
		ReportedOutput: output,
		ReportedAt:     now,
	}
	if !status.Valid() {
		// Consul's initial status, and something a write will correct.
		st.Status = registry.HealthCritical
	}
	if st.Status == registry.HealthCritical {
		st.Failures = th.failuresBeforeCritical
	}
	return st
}

// observe records the replicated status and output that Sync saw. A runner
// that has no result of its own yet adopts them as its verdict too, so a seed
// that was stale (taken before a replaced runner's last write committed) is
// not written back. Otherwise the runner's own verdict stands and is written
// again if it differs.
func (th thresholds) observe(st state, status registry.Health, output string) state {
	if st.Fresh {
		return th.seed(status, output, st.ReportedAt)
	}
	st.Reported = status
	st.ReportedOutput = output
	return st
}

// pending returns the write st needs, if any, and when it is due. A status
// change is due at once; an output-only change is due OutputInterval after the
// last write. ok is false when the replicated state already agrees.
func pending(st state, every time.Duration) (w update, due time.Time, ok bool) {
	w = update{Status: st.Status, Output: st.Output}
	switch {
	case st.Status != st.Reported:
		return w, time.Time{}, true
	case st.Output != st.ReportedOutput:
		return w, st.ReportedAt.Add(every), true
	default:
		return update{}, time.Time{}, false
	}
}

// wrote records that w was written at now.
func (st state) wrote(w update, now time.Time) state {
	st.Reported = w.Status
	st.ReportedOutput = w.Output
	st.ReportedAt = now
	return st
}

// step is the whole pure core: apply one result at now, and return the new
// state with the write to make now, if any. A write that is not due yet (a
// coalesced output change) is left pending in the state.
func (th thresholds) step(st state, r result, now time.Time, every time.Duration) (state, *update) {
	st = th.apply(st, r)
	w, due, ok := pending(st, every)
	if !ok || now.Before(due) {
		return st, nil
	}
	return st.wrote(w, now), &w
}

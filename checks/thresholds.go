package checks

import "github.com/rosterhq/roster/registry"

// thresholds are a check's SuccessBeforePassing, FailuresBeforeWarning and
// FailuresBeforeCritical, normalised. The zero value applies every result at
// once, which is how TTL checks and checks that cannot run use it.
type thresholds struct {
	successBeforePassing   int
	failuresBeforeWarning  int
	failuresBeforeCritical int
}

// newThresholds normalises a definition's thresholds as Consul does:
// negative counts are 0, and FailuresBeforeWarning defaults to (and may not
// exceed) FailuresBeforeCritical.
func newThresholds(d *registry.CheckDefinition) thresholds {
	th := thresholds{
		successBeforePassing:   max(d.SuccessBeforePassing, 0),
		failuresBeforeWarning:  max(d.FailuresBeforeWarning, 0),
		failuresBeforeCritical: max(d.FailuresBeforeCritical, 0),
	}
	if th.failuresBeforeWarning == 0 || th.failuresBeforeWarning > th.failuresBeforeCritical {
		th.failuresBeforeWarning = th.failuresBeforeCritical
	}
	return th
}

// apply folds one result into st with Consul's rules:
//
//   - A passing or warning result counts as a success: it resets the failure
//     count, and once SuccessBeforePassing consecutive successes have been
//     seen the check takes the result's status (passing or warning).
//   - A critical result counts as a failure: it resets the success count;
//     after FailuresBeforeCritical consecutive failures the check is
//     critical, else after FailuresBeforeWarning it is warning.
//   - A result below its threshold changes neither status nor output.
//
// Thresholds count results, not time, and a count of 0 means the first result
// applies. Counters saturate at their thresholds.
func (th thresholds) apply(st state, r result) state {
	st.Fresh = false
	if r.Status == registry.HealthPassing || r.Status == registry.HealthWarning {
		st.Failures = 0
		st.Successes = min(st.Successes+1, th.successBeforePassing)
		if st.Successes >= th.successBeforePassing {
			st.Status, st.Output = r.Status, r.Output
		}
		return st
	}
	st.Successes = 0
	st.Failures = min(st.Failures+1, th.failuresBeforeCritical)
	switch {
	case st.Failures >= th.failuresBeforeCritical:
		st.Status, st.Output = registry.HealthCritical, r.Output
	case st.Failures >= th.failuresBeforeWarning:
		st.Status, st.Output = registry.HealthWarning, r.Output
	}
	return st
}

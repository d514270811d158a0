package chaos

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/rosterhq/roster/e2e/chaos/checker"
	"github.com/rosterhq/roster/e2e/chaos/nemesis"
	"github.com/rosterhq/roster/e2e/chaos/workload"
)

// Thresholds a run must meet.
const (
	minDNSAvailability = 0.999
	maxConvergence     = 10 * time.Second
	// Load floors, per second of workload: a run that generated less
	// proved little and fails.
	minOpsPerSec    = 50
	minKVAckPerSec  = 10
	minRegAckPerSec = 2
	minDNSPerNodeQ  = 3
)

// report is everything a run prints, and the verdicts.
type report struct {
	Seed     uint64
	Nodes    int
	Features string
	Dir      string

	Faults    []nemesis.Event
	Workload  time.Duration
	Counts    map[string]int
	DNS       []workload.DNSStats
	Lin       checker.LinearizabilityResult
	Lost      checker.LostWrites
	Converged time.Duration
	ConvErr   error

	LogTerms    checker.Terms
	PollTerms   checker.Terms
	PollOK      bool
	PollSamples int

	Crashed    []string
	Unexpected []string
	Standalone bool
}

// failures lists every broken promise; an empty list is a pass.
func (r *report) failures() []string {
	var out []string
	if len(r.Faults) == 0 {
		out = append(out, "no faults injected")
	}
	for _, ev := range r.Faults {
		if ev.Err != nil {
			out = append(out, "fault injection failed: "+ev.String())
		}
	}
	if r.Lin.Verdict != porcupine.Ok {
		out = append(out, "KV history not linearizable: "+r.Lin.String())
	}
	for _, l := range r.Lost.Lost {
		out = append(out, "lost write: "+l)
	}
	for _, l := range r.Lost.Resurrected {
		out = append(out, "undone deregistration or phantom registration: "+l)
	}
	if r.ConvErr != nil {
		out = append(out, r.ConvErr.Error())
	}
	for _, s := range r.DNS {
		if s.Queries > 0 && s.Availability() < minDNSAvailability {
			out = append(out, fmt.Sprintf("DNS availability on %s %.3f%% < %.1f%%: %v", s.Node, 100*s.Availability(), 100*minDNSAvailability, s.Failures))
		}
	}
	for _, v := range r.LogTerms.Violations() {
		out = append(out, "two leaders in one term (logs): "+v)
	}
	for _, v := range r.PollTerms.Violations() {
		out = append(out, "two leaders in one term (polled): "+v)
	}
	out = append(out, r.Crashed...)
	for _, u := range r.Unexpected {
		out = append(out, "unexpected response: "+u)
	}
	out = append(out, r.loadFailures()...)
	return out
}

func (r *report) loadFailures() []string {
	secs := r.Workload.Seconds()
	if secs <= 0 {
		return []string{"the workload never ran"}
	}
	sum := func(prefix, suffix string) int {
		n := 0
		for k, v := range r.Counts {
			if strings.HasPrefix(k, prefix) && strings.HasSuffix(k, suffix) {
				n += v
			}
		}
		return n
	}
	var out []string
	total := sum("", "")
	kvAck := sum("put", " ok") + sum("cas", " ok") + sum("delete", " ok")
	regAck := sum("register", " ok") + sum("deregister", " ok")
	if float64(total)/secs < minOpsPerSec {
		out = append(out, fmt.Sprintf("too little load: %.0f ops/s < %d", float64(total)/secs, minOpsPerSec))
	}
	if float64(kvAck)/secs < minKVAckPerSec {
		out = append(out, fmt.Sprintf("too few acknowledged KV writes: %.1f/s < %d", float64(kvAck)/secs, minKVAckPerSec))
	}
	if float64(regAck)/secs < minRegAckPerSec {
		out = append(out, fmt.Sprintf("too few acknowledged catalog writes: %.1f/s < %d", float64(regAck)/secs, minRegAckPerSec))
	}
	for _, s := range r.DNS {
		if float64(s.Queries) < minDNSPerNodeQ*secs {
			out = append(out, fmt.Sprintf("too few DNS queries counted on %s: %d in %.0fs", s.Node, s.Queries, secs))
		}
	}
	return out
}

// String renders the run summary.
func (r *report) String() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("=== roster chaos run ===")
	w("seed:             %d   (replay: ROSTER_CHAOS_SEED=%d make chaos)", r.Seed, r.Seed)
	w("cluster:          %d nodes, agent features: %s", r.Nodes, r.Features)
	if r.Standalone {
		w("                  WARNING: the binary cannot form a cluster; each node is its own one-server cluster")
	}
	w("logs and data:    %s", r.Dir)
	byKind := map[string]int{}
	for _, ev := range r.Faults {
		byKind[ev.Fault.Kind.String()]++
	}
	w("faults injected:  %d  %s", len(r.Faults), formatCounts(byKind))
	total := 0
	for _, v := range r.Counts {
		total += v
	}
	w("workload:         %.0fs, %d ops (%.0f ops/s)", r.Workload.Seconds(), total, float64(total)/max(r.Workload.Seconds(), 1))
	w("ops by outcome:   %s", formatCounts(r.Counts))
	w("porcupine:        %s", r.Lin)
	w("lost writes:      %d  (%d registrations checked on every node)", r.Lost.Count(), r.Lost.Checked)
	for _, s := range r.DNS {
		w("DNS %-4s          %.3f%%  (%d/%d good, %d SERVFAIL, %d timeouts, %d other, %d discarded around kills/pauses)",
			s.Node+":", 100*s.Availability(), s.Good, s.Queries, s.ServFail, s.Timeout, s.OtherBad, s.Discarded)
	}
	if r.ConvErr != nil {
		w("converged:        NO: %v", r.ConvErr)
	} else {
		w("converged:        %.2fs after the final heal", r.Converged.Seconds())
	}
	if r.Standalone {
		w("leaders per term: n/a (separate one-server clusters)")
	} else {
		w("leaders per term: %d elections in the logs, violations: %d", r.LogTerms.Elections(), len(r.LogTerms.Violations()))
	}
	if len(r.DNS) == 0 {
		w("DNS:              not served by this binary (no --dns-addr): availability not checked")
	}
	if r.PollOK {
		w("                  polled Stats.raft %d times: %d terms with a leader seen, violations: %d", r.PollSamples, r.PollTerms.Elections(), len(r.PollTerms.Violations()))
	} else {
		w("                  (/v1/agent/self has no Stats.raft: term polling skipped, logs only)")
	}
	fails := r.failures()
	if len(fails) == 0 {
		w("verdict:          PASS")
	} else {
		w("verdict:          FAIL (%d)", len(fails))
		for _, f := range fails {
			w("  - %s", f)
		}
	}
	return b.String()
}

func formatCounts(m map[string]int) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

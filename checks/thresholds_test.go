package checks

import (
	"testing"
	"time"

	"github.com/rosterhq/roster/registry"
)

var letterHealth = map[byte]registry.Health{
	'P': registry.HealthPassing,
	'W': registry.HealthWarning,
	'C': registry.HealthCritical,
}

func healthLetter(h registry.Health) byte {
	for l, x := range letterHealth {
		if x == h {
			return l
		}
	}
	return '?'
}

// TestThresholds runs sequences of results through step and compares the
// status after each result and the write it makes ('-' for none). Each
// result's output is its status, so only status changes write.
func TestThresholds(t *testing.T) {
	tests := []struct {
		name          string
		sbp, fbw, fbc int
		seed          registry.Health
		results       string
		statuses      string
		writes        string
	}{
		{"no thresholds follow every result", 0, 0, 0, registry.HealthCritical, "PCWP", "PCWP", "PCWP"},
		{"steady passing writes nothing", 0, 0, 0, registry.HealthPassing, "PPPP", "PPPP", "----"},
		{"new check passes on first success like consul", 3, 0, 0, registry.HealthCritical, "PCPPP", "PCCCP", "PC--P"},
		{"failures before critical", 0, 0, 3, registry.HealthPassing, "CCCP", "PPCP", "--CP"},
		{"failures before warning then critical", 0, 1, 3, registry.HealthPassing, "CCCCP", "WWCCP", "W-C-P"},
		{"a success resets the failure count", 0, 2, 3, registry.HealthPassing, "CPCCC", "PPPWC", "---WC"},
		{"warning counts as a success", 0, 0, 2, registry.HealthPassing, "CWC", "PWW", "-W-"},
		{"warning needs successes before passing too", 2, 0, 0, registry.HealthPassing, "CWW", "CCW", "C-W"},
		{"restart seeded critical needs successes", 2, 0, 3, registry.HealthCritical, "CPP", "CCP", "--P"},
		{"restart seeded passing needs failures", 2, 0, 3, registry.HealthPassing, "CCPC", "PPPP", "----"},
		{"flaps are suppressed", 2, 0, 2, registry.HealthPassing, "CPCPCC", "PPPPPC", "-----C"},
		{"warning above critical is clamped", 0, 5, 2, registry.HealthPassing, "CC", "PC", "-C"},
		{"negative thresholds are zero", -1, -1, -1, registry.HealthPassing, "CP", "CP", "CP"},
		{"invalid seed is critical and corrected", 0, 0, 0, "", "C", "C", "C"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := newThresholds(&registry.CheckDefinition{
				SuccessBeforePassing:   tt.sbp,
				FailuresBeforeWarning:  tt.fbw,
				FailuresBeforeCritical: tt.fbc,
			})
			t0 := time.Unix(1000, 0)
			st := th.seed(tt.seed, string(healthLetter(tt.seed)), t0)
			var statuses, writes []byte
			for i := range len(tt.results) {
				h := letterHealth[tt.results[i]]
				var w *update
				st, w = th.step(st, result{h, string(tt.results[i])}, t0.Add(time.Duration(i)*time.Second), time.Hour)
				statuses = append(statuses, healthLetter(st.Status))
				if w == nil {
					writes = append(writes, '-')
				} else {
					writes = append(writes, healthLetter(w.Status))
				}
			}
			if string(statuses) != tt.statuses || string(writes) != tt.writes {
				t.Fatalf("results %s: statuses %s writes %s, want %s %s",
					tt.results, statuses, writes, tt.statuses, tt.writes)
			}
		})
	}
}

// TestCoalescing shows that status changes are written at once and
// output-only changes at most once per interval, with the latest output.
func TestCoalescing(t *testing.T) {
	const every = time.Minute
	t0 := time.Unix(1000, 0)
	type probe struct {
		at     time.Duration // after t0
		status registry.Health
		output string
		write  string // output written, or "" for none
	}
	P, C := registry.HealthPassing, registry.HealthCritical
	steps := []probe{
		{10 * time.Second, P, "a", ""}, // same as seed: nothing
		{20 * time.Second, P, "b", ""}, // output-only, seeded at t0: not due
		{30 * time.Second, P, "c", ""},
		{61 * time.Second, P, "c", "c"}, // due: the latest output
		{70 * time.Second, P, "d", ""},
		{80 * time.Second, C, "e", "e"}, // status change: at once
		{90 * time.Second, C, "e", ""},
		{100 * time.Second, C, "f", ""},
		{139 * time.Second, C, "g", ""},
		{140 * time.Second, C, "g", "g"}, // a minute after the status write
		{150 * time.Second, C, "g", ""},  // steady
		{300 * time.Second, C, "g", ""},
	}
	th := thresholds{}
	st := th.seed(P, "a", t0)
	for i, s := range steps {
		var w *update
		st, w = th.step(st, result{s.status, s.output}, t0.Add(s.at), every)
		got := ""
		if w != nil {
			got = w.Output
		}
		if got != s.write {
			t.Fatalf("step %d at +%s: wrote %q, want %q", i, s.at, got, s.write)
		}
	}
}

func TestPendingDueTimes(t *testing.T) {
	t0 := time.Unix(1000, 0)
	th := thresholds{}
	st := th.seed(registry.HealthPassing, "a", t0)
	if _, _, ok := pending(st, time.Minute); ok {
		t.Fatal("seeded state has a pending write")
	}
	st = th.apply(st, result{registry.HealthPassing, "b"})
	w, due, ok := pending(st, time.Minute)
	if !ok || w.Output != "b" || !due.Equal(t0.Add(time.Minute)) {
		t.Fatalf("output change: %v %v %v, want b due a minute after seeding", w, due, ok)
	}
	st = th.apply(st, result{registry.HealthCritical, "c"})
	if w, due, ok := pending(st, time.Minute); !ok || w.Status != registry.HealthCritical || !due.IsZero() {
		t.Fatalf("status change: %v %v %v, want critical due now", w, due, ok)
	}
}

func TestObserve(t *testing.T) {
	t0 := time.Unix(1000, 0)
	th := newThresholds(&registry.CheckDefinition{FailuresBeforeCritical: 2})

	// Fresh: a stale seed is replaced by what the replicated state holds.
	st := th.seed(registry.HealthCritical, "old", t0)
	st = th.observe(st, registry.HealthPassing, "new")
	if st.Status != registry.HealthPassing || st.Failures != 0 {
		t.Fatalf("fresh observe: %+v", st)
	}
	if _, _, ok := pending(st, time.Minute); ok {
		t.Fatal("fresh observe left a write pending")
	}

	// With its own verdict the runner writes it again.
	st = th.apply(st, result{registry.HealthPassing, "mine"})
	st = st.wrote(update{registry.HealthPassing, "mine"}, t0)
	st = th.observe(st, registry.HealthCritical, "someone else")
	w, _, ok := pending(st, time.Minute)
	if !ok || w.Status != registry.HealthPassing || w.Output != "mine" {
		t.Fatalf("observe after own result: pending %v %v, want passing/mine", w, ok)
	}
}

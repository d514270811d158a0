package chaos

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/rosterhq/roster/e2e/chaos/checker"
	"github.com/rosterhq/roster/e2e/chaos/nemesis"
	"github.com/rosterhq/roster/e2e/chaos/workload"
)

// passingReport is a report of a healthy 100-second run.
func passingReport() *report {
	return &report{
		Seed: 1, Nodes: 3,
		Faults:   []nemesis.Event{{Fault: nemesis.Fault{Seq: 1, Kind: nemesis.KillNode}}},
		Workload: 100 * time.Second,
		Counts:   map[string]int{"put ok": 2000, "get ok": 3000, "register ok": 400, "dns ok": 4500},
		DNS: []workload.DNSStats{
			{Node: "n1", Queries: 1500, Good: 1500},
			{Node: "n2", Queries: 1500, Good: 1499},
			{Node: "n3", Queries: 1500, Good: 1500},
		},
		Lin:      checker.LinearizabilityResult{Verdict: porcupine.Ok},
		LogTerms: checker.Terms{2: {"n1"}, 3: {"n2"}},
	}
}

func TestReportPasses(t *testing.T) {
	r := passingReport()
	if f := r.failures(); len(f) != 0 {
		t.Fatalf("healthy run fails: %v", f)
	}
	if s := r.String(); !strings.Contains(s, "verdict:          PASS") || !strings.Contains(s, "seed:             1") {
		t.Fatalf("report:\n%s", s)
	}
}

func TestReportFailures(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *report)
		want   string
	}{
		{"not linearizable", func(r *report) { r.Lin.Verdict = porcupine.Illegal }, "not linearizable"},
		{"checker timed out", func(r *report) { r.Lin.Verdict = porcupine.Unknown }, "not linearizable"},
		{"lost write", func(r *report) { r.Lost.Lost = []string{"x missing on n2"} }, "lost write: x missing on n2"},
		{"no convergence", func(r *report) { r.ConvErr = errors.New("not converged") }, "not converged"},
		{"dns below 99.9%", func(r *report) { r.DNS[1].Good = 1490 }, "DNS availability on n2"},
		{"two leaders", func(r *report) { r.LogTerms.Observe(3, "n3") }, "term 3 had leaders n2, n3"},
		{"too little load", func(r *report) { r.Workload = 1000 * time.Second }, "too little load"},
		{"too few registrations", func(r *report) { r.Counts["register ok"] = 10 }, "too few acknowledged catalog writes"},
		{"no faults", func(r *report) { r.Faults = nil }, "no faults injected"},
		{"crash", func(r *report) { r.Crashed = []string{"n1 exited on its own"} }, "n1 exited on its own"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := passingReport()
			tc.change(r)
			f := strings.Join(r.failures(), "\n")
			if !strings.Contains(f, tc.want) {
				t.Fatalf("failures %q, want one containing %q", f, tc.want)
			}
			if !strings.Contains(r.String(), "verdict:          FAIL") {
				t.Fatal("report does not say FAIL")
			}
		})
	}
}

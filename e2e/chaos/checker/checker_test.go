package checker

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/rosterhq/roster/e2e/chaos/workload"
)

// kvOps builds a one-key history. Times are in arbitrary units.
type opb = workload.KVOp

func put(client int, v string, call, ret time.Duration, o workload.Outcome) opb {
	return opb{Client: client, Key: "k", Kind: workload.Put, Value: v, Call: call, Return: ret, Outcome: o, Swapped: o == workload.OK}
}

func get(client int, v string, call, ret time.Duration) opb {
	return opb{Client: client, Key: "k", Kind: workload.Get, Found: v != "", Read: v, Call: call, Return: ret, Outcome: workload.OK}
}

func cas(client int, expect, v string, swapped bool, call, ret time.Duration, o workload.Outcome) opb {
	return opb{Client: client, Key: "k", Kind: workload.CAS, Expect: expect, ExpectAbsent: expect == "", Value: v,
		Swapped: swapped, Call: call, Return: ret, Outcome: o}
}

func TestLinearizability(t *testing.T) {
	ok, fail, unknown := workload.OK, workload.Fail, workload.Unknown
	tests := []struct {
		name string
		ops  []opb
		want porcupine.CheckResult
	}{
		{"sequential", []opb{put(0, "a", 1, 2, ok), get(0, "a", 3, 4), cas(0, "a", "b", true, 5, 6, ok), get(1, "b", 7, 8)}, porcupine.Ok},
		{"concurrent read may see either", []opb{put(0, "a", 1, 2, ok), put(0, "b", 3, 10, ok), get(1, "a", 4, 5), get(1, "b", 6, 7)}, porcupine.Ok},
		{"stale read", []opb{put(0, "a", 1, 2, ok), put(0, "b", 3, 4, ok), get(1, "a", 5, 6)}, porcupine.Illegal},
		{"lost acknowledged write", []opb{put(0, "a", 1, 2, ok), get(1, "", 3, 4)}, porcupine.Illegal},
		{"maybe-applied write seen later", []opb{put(0, "a", 1, 2, unknown), get(1, "a", 30, 31)}, porcupine.Ok},
		{"maybe-applied write never seen", []opb{put(0, "x", 1, 2, ok), put(1, "a", 3, 4, unknown), get(2, "x", 30, 31)}, porcupine.Ok},
		{"certainly failed write seen", []opb{put(0, "a", 1, 2, fail), get(1, "a", 3, 4)}, porcupine.Illegal},
		{"cas on missing key", []opb{cas(0, "", "a", true, 1, 2, ok), cas(1, "", "b", false, 3, 4, ok), get(1, "a", 5, 6)}, porcupine.Ok},
		{"cas swapped on a stale value", []opb{put(0, "a", 1, 2, ok), put(0, "b", 3, 4, ok), cas(1, "a", "c", true, 5, 6, ok)}, porcupine.Illegal},
		{"cas refused although it matched", []opb{put(0, "a", 1, 2, ok), cas(1, "a", "c", false, 3, 4, ok)}, porcupine.Illegal},
		{"maybe-applied cas", []opb{put(0, "a", 1, 2, ok), cas(1, "a", "c", false, 3, 4, unknown), get(2, "c", 5, 6)}, porcupine.Ok},
		{"delete", []opb{put(0, "a", 1, 2, ok), {Key: "k", Kind: workload.Delete, Call: 3, Return: 4, Outcome: ok}, get(1, "", 5, 6)}, porcupine.Ok},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			viz := filepath.Join(t.TempDir(), "viz.html")
			res, err := CheckLinearizable(tc.ops, []string{"n1"}, 10*time.Second, viz)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verdict != tc.want {
				t.Fatalf("verdict %s, want %s", res.Verdict, tc.want)
			}
			if tc.want == porcupine.Illegal {
				b, err := os.ReadFile(res.Visualization)
				if err != nil || !strings.Contains(string(b), "<html") {
					t.Fatalf("no visualization written: %v", err)
				}
			}
		})
	}
}

func TestToOperationsKeepsMaybeWritesOpen(t *testing.T) {
	ops := []opb{put(0, "a", 1, 2, workload.Unknown), get(1, "", 3, 9), {Key: "k", Kind: workload.Get, Outcome: workload.Fail, Call: 4, Return: 5}}
	hist, maybe, dropped := ToOperations(ops, nil)
	if len(hist) != 2 || maybe != 1 || dropped != 1 {
		t.Fatalf("%d ops, %d maybe, %d dropped", len(hist), maybe, dropped)
	}
	if hist[0].Return <= 9 {
		t.Fatalf("maybe-applied write returns at %d, want after the last return", hist[0].Return)
	}
}

func TestCheckRegistrations(t *testing.T) {
	reg := func(id string, o workload.Outcome) workload.RegOp {
		return workload.RegOp{Kind: workload.Register, ID: id, Service: "web", Outcome: o}
	}
	dereg := func(id string, o workload.Outcome) workload.RegOp {
		return workload.RegOp{Kind: workload.Deregister, ID: id, Service: "web", Outcome: o}
	}
	regs := []workload.RegOp{
		reg("kept", workload.OK),
		reg("gone", workload.OK), dereg("gone", workload.OK),
		reg("maybe", workload.Unknown),
		reg("maybe-gone", workload.OK), dereg("maybe-gone", workload.Unknown),
		reg("retried", workload.OK), dereg("retried", workload.Fail),
		reg("refused", workload.Fail),
	}
	good := Catalog{"kept": "web", "maybe": "web", "retried": "web"}
	if res := CheckRegistrations(regs, map[string]Catalog{"n1": good, "n2": good}); res.Count() != 0 || res.Checked != 2 {
		t.Fatalf("clean catalogs: %+v", res)
	}
	bad := Catalog{"maybe-gone": "web", "gone": "web", "refused": "web", "retried": "web"}
	res := CheckRegistrations(regs, map[string]Catalog{"n1": good, "n2": bad})
	if len(res.Lost) != 1 || !strings.Contains(res.Lost[0], "kept") || !strings.Contains(res.Lost[0], "n2") {
		t.Fatalf("lost = %v", res.Lost)
	}
	if len(res.Resurrected) != 2 {
		t.Fatalf("resurrected = %v", res.Resurrected)
	}
}

func TestDiverged(t *testing.T) {
	a := NodeState{Node: "n1", KV: map[string]string{"k": "v@3"}, Instances: map[string]string{"i": "web@n1"}, KVIndex: 3, CatalogIndex: 4}
	b := a
	b.Node = "n2"
	if d := Diverged([]NodeState{a, b}); d != "" {
		t.Fatalf("identical states diverge: %s", d)
	}
	c := b
	c.KV = map[string]string{"k": "w@5"}
	if d := Diverged([]NodeState{a, c}); !strings.Contains(d, `KV "k": v@3 / w@5`) {
		t.Fatalf("diff = %q", d)
	}
	d := b
	d.AppliedIndex, a.AppliedIndex = 9, 8
	if s := Diverged([]NodeState{a, d}); !strings.Contains(s, "applied index") {
		t.Fatalf("diff = %q", s)
	}
}

func TestReadElections(t *testing.T) {
	terms := Terms{}
	log1 := `{"time":"t","level":"INFO","msg":"election won","node":"n1","term":2,"tally":2}
not json at all "election won"
{"time":"t","level":"INFO","msg":"entering leader state","node":"n1"}
{"time":"t","level":"INFO","msg":"election won","node":"n1","term":5,"tally":2}
`
	log2 := `{"time":"t","level":"INFO","msg":"election won","node":"n2","term":"3","tally":2}
{"time":"t","level":"INFO","msg":"election won","node":"n2","term":5,"tally":2}
`
	if n, err := ReadElections(terms, "n1", strings.NewReader(log1)); err != nil || n != 2 {
		t.Fatalf("n1: %d, %v", n, err)
	}
	if n, err := ReadElections(terms, "n2", strings.NewReader(log2)); err != nil || n != 2 {
		t.Fatalf("n2: %d, %v", n, err)
	}
	v := terms.Violations()
	if len(v) != 1 || v[0] != "term 5 had leaders n1, n2" || terms.Elections() != 3 {
		t.Fatalf("violations %v, elections %d", v, terms.Elections())
	}
}

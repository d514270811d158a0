package dnsserver

import (
	"slices"
	"testing"
)

// FuzzWRR checks the selector's contract on arbitrary weights and starting
// phases: over one period (the total weight) every candidate is picked
// exactly its weight times, and every order is a permutation with the pick
// first.
func FuzzWRR(f *testing.F) {
	f.Add([]byte{5, 1, 1}, uint8(0))
	f.Add([]byte{0, 0, 0}, uint8(3))
	f.Add([]byte{1}, uint8(9))
	f.Add([]byte{255, 0, 7, 7, 1}, uint8(64))
	f.Add([]byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, raw []byte, phase uint8) {
		if len(raw) > 64 {
			raw = raw[:64]
		}
		weights := make([]int, len(raw))
		total := 0
		for i, b := range raw {
			weights[i] = int(b)
			total += int(b)
		}
		w := newWRR(weights, int(phase))
		if len(weights) == 0 {
			if w.next() != -1 {
				t.Fatal("empty set picked something")
			}
			return
		}
		want := slices.Clone(weights)
		if total == 0 {
			for i := range want {
				want[i] = 1
			}
			total = len(want)
		}
		got := make([]int, len(weights))
		var order []int
		for step := 0; step < total; step++ {
			order = w.order(order)
			if len(order) != len(weights) {
				t.Fatalf("order has %d entries for %d candidates", len(order), len(weights))
			}
			seen := make([]bool, len(weights))
			for _, i := range order {
				if i < 0 || i >= len(weights) || seen[i] {
					t.Fatalf("order %v is not a permutation", order)
				}
				seen[i] = true
			}
			got[order[0]]++
		}
		if !slices.Equal(got, want) {
			t.Fatalf("weights %v phase %d: picks over one period %v", weights, phase, got)
		}
	})
}

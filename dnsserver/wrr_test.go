package dnsserver

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

func TestWRRSequence(t *testing.T) {
	cases := []struct {
		weights []int
		phase   int
		want    []int
	}{
		{[]int{5, 1, 1}, 0, []int{0, 0, 1, 0, 2, 0, 0, 0, 0, 1}}, // nginx's example, then it repeats
		{[]int{5, 1, 1}, 3, []int{0, 2, 0, 0, 0, 0, 1}},
		{[]int{1, 1, 1}, 0, []int{0, 1, 2, 0, 1, 2}},
		{[]int{2, 1}, 0, []int{0, 1, 0, 0, 1, 0}},
		{[]int{1, 0, 2}, 0, []int{2, 0, 2, 2, 0, 2}},
		{[]int{0, 1}, 0, []int{1, 1, 1}},       // weight 0 is never first while another is positive
		{[]int{0, 0, 0}, 0, []int{0, 1, 2, 0}}, // all zero rotates as if all were 1
		{[]int{7}, 0, []int{0, 0}},
		{nil, 0, []int{-1, -1}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.weights, "+", tc.phase), func(t *testing.T) {
			w := newWRR(tc.weights, tc.phase)
			var got []int
			for range tc.want {
				got = append(got, w.next())
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("sequence = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestWRROrder(t *testing.T) {
	cases := []struct {
		weights []int
		want    [][]int
	}{
		// The pick, then the others by next-step preference.
		{[]int{5, 1, 1}, [][]int{{0, 1, 2}, {0, 1, 2}, {1, 0, 2}, {0, 2, 1}, {2, 0, 1}, {0, 1, 2}, {0, 1, 2}, {0, 1, 2}}},
		{[]int{1, 1, 1}, [][]int{{0, 1, 2}, {1, 2, 0}, {2, 0, 1}, {0, 1, 2}}},
		{[]int{0, 3}, [][]int{{1, 0}, {1, 0}}},
		{[]int{4}, [][]int{{0}}},
		{nil, [][]int{{}}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.weights), func(t *testing.T) {
			w := newWRR(tc.weights, 0)
			var buf []int
			for i, want := range tc.want {
				buf = w.order(buf)
				if !slices.Equal(buf, want) {
					t.Fatalf("order %d = %v, want %v", i, buf, want)
				}
			}
		})
	}
}

// weighted registers three IPv4 instances of "dist" with weights 5, 1, 1.
func weighted(t *testing.T) *catalog {
	t.Helper()
	c := newTestCatalog(t)
	for i, w := range []int{5, 1, 1} {
		n := fmt.Sprintf("n%d", i+1)
		c.add(instance{node: n, nodeAddr: fmt.Sprintf("10.0.0.%d", i+1), id: n, service: "dist", port: 8000 + i, weight: w})
	}
	return c
}

// firsts sends n queries and counts the first answer record's data.
func firsts(t *testing.T, s *Server, qname string, qtype uint16, n int) map[string]int {
	t.Helper()
	got := map[string]int{}
	for range n {
		resp := s.answer(query(qname, qtype), true)
		if len(resp.Answer) != 3 {
			t.Fatalf("answer has %d records, want all 3: %v", len(resp.Answer), resp)
		}
		got[rdata(resp.Answer[0])]++
	}
	return got
}

func rdata(r dns.RR) string {
	switch r := r.(type) {
	case *dns.A:
		return r.A.String()
	case *dns.SRV:
		return fmt.Sprintf("%d %d %s", r.Weight, r.Port, r.Target)
	}
	return r.String()
}

func TestWRRDistribution(t *testing.T) {
	want := map[string]int{"10.0.0.1": 500, "10.0.0.2": 100, "10.0.0.3": 100}
	t.Run("phase 0", func(t *testing.T) {
		s := newTestServer(t, weighted(t).store)
		if got := firsts(t, s, "dist.service.roster.", dns.TypeA, 700); !maps.Equal(got, want) {
			t.Fatalf("first records over 700 A queries = %v, want %v", got, want)
		}
	})
	t.Run("random phase", func(t *testing.T) {
		for seed := range 7 {
			s := newTestServer(t, weighted(t).store)
			s.randIntN = func(n int) int { return seed % n }
			if got := firsts(t, s, "dist.service.roster.", dns.TypeA, 700); !maps.Equal(got, want) {
				t.Fatalf("phase %d: first records = %v, want %v", seed, got, want)
			}
		}
	})
	t.Run("SRV carries the weights in the same rotation", func(t *testing.T) {
		s := newTestServer(t, weighted(t).store)
		got := firsts(t, s, "_dist._tcp.service.roster.", dns.TypeSRV, 700)
		wantSRV := map[string]int{"5 8000 n1.node.roster.": 500, "1 8001 n2.node.roster.": 100, "1 8002 n3.node.roster.": 100}
		if !maps.Equal(got, wantSRV) {
			t.Fatalf("first SRV records = %v, want %v", got, wantSRV)
		}
	})
	t.Run("concurrent queries keep exact proportions", func(t *testing.T) {
		s := newTestServer(t, weighted(t).store)
		var mu sync.Mutex
		got := map[string]int{}
		var wg sync.WaitGroup
		for range 7 {
			wg.Go(func() {
				for range 100 {
					resp := s.answer(query("dist.service.roster.", dns.TypeA), true)
					mu.Lock()
					got[rdata(resp.Answer[0])]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if !maps.Equal(got, want) {
			t.Fatalf("first records over 7x100 concurrent queries = %v, want %v", got, want)
		}
	})
}

func TestWRRKeysAndReset(t *testing.T) {
	c := weighted(t)
	s := newTestServer(t, c.store)
	first := func(qtype uint16) string {
		t.Helper()
		resp := s.answer(query("dist.service.roster.", qtype), true)
		if len(resp.Answer) == 0 {
			t.Fatalf("empty answer: %v", resp)
		}
		return rdata(resp.Answer[0])
	}
	// A and SRV rotate independently: each starts at the weight-5 instance.
	for _, want := range []string{"10.0.0.1", "10.0.0.1", "10.0.0.2"} {
		if got := first(dns.TypeA); got != want {
			t.Fatalf("A first = %s, want %s", got, want)
		}
	}
	if got := first(dns.TypeSRV); got != "5 8000 n1.node.roster." {
		t.Fatalf("SRV rotation was advanced by A queries: first = %s", got)
	}
	// An unrelated write keeps the view, and the rotation goes on.
	c.add(instance{node: "n9", nodeAddr: "10.0.0.9", id: "other", service: "other"})
	if got := first(dns.TypeA); got != "10.0.0.1" {
		t.Fatalf("A first after an unrelated write = %s, want 10.0.0.1 (4th step)", got)
	}
	// A change of the set restarts from the zero state.
	c.add(instance{node: "n4", nodeAddr: "10.0.0.4", id: "n4", service: "dist", weight: 9})
	for _, want := range []string{"10.0.0.4", "10.0.0.1", "10.0.0.4"} {
		if got := first(dns.TypeA); got != want {
			t.Fatalf("A first after the set changed = %s, want %s", got, want)
		}
	}
}

func TestSweepForgetsUnusedRotations(t *testing.T) {
	s := newTestServer(t, weighted(t).store)
	s.answer(query("dist.service.roster.", dns.TypeA), true)
	s.answer(query("nosuch.dist.service.roster.", dns.TypeA), true) // no state for missing tags
	if n := countRotations(s); n != 1 {
		t.Fatalf("%d rotations, want 1", n)
	}
	s.sweep() // used since the last sweep: kept
	if n := countRotations(s); n != 1 {
		t.Fatalf("after the first sweep: %d rotations, want 1", n)
	}
	s.sweep() // unused since: forgotten
	if n := countRotations(s); n != 0 {
		t.Fatalf("after the second sweep: %d rotations, want 0", n)
	}
}

func countRotations(s *Server) int {
	n := 0
	s.rotations.Range(func(_, _ any) bool { n++; return true })
	return n
}

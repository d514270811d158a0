package dnsserver

import "slices"

// wrr is smooth weighted round robin (nginx's): each step adds every
// candidate's weight to its current value, picks the largest current (the
// lowest index on a tie) and subtracts the total weight from it. Over any
// total consecutive steps from the zero state each candidate is picked
// exactly weight times, spread as evenly as the weights allow; the sequence
// repeats with period total.
//
// wrr is plain state without locking or randomness: the caller serialises
// steps and chooses the starting phase.
type wrr struct {
	weights []int // effective weights, immutable, shared with the caller
	current []int
	total   int
}

// newWRR returns the zero state over weights (each >= 0) advanced by phase
// steps. When every weight is 0 they all count as 1, so such a set still
// rotates instead of always answering its first member.
func newWRR(weights []int, phase int) wrr {
	w := wrr{weights: weights, current: make([]int, len(weights))}
	for _, x := range weights {
		w.total += x
	}
	if w.total == 0 {
		ones := make([]int, len(weights))
		for i := range ones {
			ones[i] = 1
		}
		w.weights, w.total = ones, len(ones)
	}
	for range phase {
		w.next()
	}
	return w
}

// next advances one step and returns the picked index, or -1 when there are
// no candidates.
func (w *wrr) next() int {
	best := -1
	for i, x := range w.weights {
		w.current[i] += x
		if best < 0 || w.current[i] > w.current[best] {
			best = i
		}
	}
	if best >= 0 {
		w.current[best] -= w.total
	}
	return best
}

// order advances one step and fills dst (reusing its storage) with every
// candidate index: the pick first, then the others from the one the next
// step would prefer (largest current+weight, lowest index on a tie) to the
// one it would prefer least. So the first record of consecutive answers is
// the smooth WRR sequence, and later positions still favour heavy
// candidates, which matters to clients that try addresses in order.
func (w *wrr) order(dst []int) []int {
	dst = dst[:0]
	first := w.next()
	if first < 0 {
		return dst
	}
	dst = append(dst, first)
	for i := range w.weights {
		if i != first {
			dst = append(dst, i)
		}
	}
	rest := dst[1:]
	slices.SortFunc(rest, func(a, b int) int {
		sa, sb := w.current[a]+w.weights[a], w.current[b]+w.weights[b]
		switch {
		case sa > sb:
			return -1
		case sa < sb:
			return 1
		}
		return a - b
	})
	return dst
}

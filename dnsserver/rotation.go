package dnsserver

import (
	"sync"

	"github.com/rosterhq/roster/registry"
)

// maxPhase bounds the random starting phase of a new rotation, so resetting
// a large set costs O(maxPhase·n) once, not O(total weight·n).
const maxPhase = 64

// rotKey identifies one rotation: lower-case service and tag, the query
// type (A, AAAA, ANY or SRV) whose candidates it rotates, and whether the
// name has the RFC 2782 form. The form only matters to the owner name of
// the prebuilt records; _svc._tcp and svc SRV rotate separately.
type rotKey struct {
	service string
	tag     string
	qtype   uint16
	rfc2782 bool
}

// rotation is the weighted round-robin state of one rotKey on this node.
// Each rotation has its own mutex, held for one WRR step: queries for
// different names never contend, and there is no global lock.
type rotation struct {
	mu   sync.Mutex
	set  *candidateSet
	wrr  wrr
	used bool // since the last sweep
}

// rotate returns the candidates of key in view and fills order with their
// indexes in answer order, advancing the rotation by one step. It returns
// false when no healthy instance of the service carries the tag (the name
// does not exist). Only names that exist get state, so clients asking for
// made-up tags cannot grow the map.
func (s *Server) rotate(view *registry.ServiceView, key rotKey, order []int) (*candidateSet, []int, bool) {
	v, ok := s.rotations.Load(key)
	if !ok {
		set := s.buildSet(view, key)
		if !set.exists {
			return set, order[:0], false
		}
		v, _ = s.rotations.LoadOrStore(key, &rotation{set: set, wrr: newWRR(set.weights, s.phase(set))})
	}
	r := v.(*rotation)
	r.mu.Lock()
	if r.set.view != view {
		// The set changed: start over, as the issue asks, rather than
		// carry positions over to instances that may be gone.
		r.set = s.buildSet(view, key)
		r.wrr = newWRR(r.set.weights, s.phase(r.set))
	}
	set := r.set
	order = r.wrr.order(order)
	r.used = true
	r.mu.Unlock()
	return set, order, set.exists
}

// phase draws the starting phase of a new rotation, so that the nodes of a
// cluster, which all see the same change at once, do not all answer the same
// instance first.
func (s *Server) phase(set *candidateSet) int {
	total := 0
	for _, w := range set.weights {
		total += w
	}
	if total == 0 {
		total = len(set.weights)
	}
	if total > maxPhase {
		total = maxPhase
	}
	if total <= 1 {
		return 0
	}
	return s.randIntN(total)
}

// sweep forgets rotations not used since the previous sweep, so services
// and tags that went away do not pin their old views forever. Forgetting a
// live rotation only restarts its sequence.
func (s *Server) sweep() {
	s.rotations.Range(func(k, v any) bool {
		r := v.(*rotation)
		r.mu.Lock()
		if !r.used {
			s.rotations.Delete(k)
		}
		r.used = false
		r.mu.Unlock()
		return true
	})
}

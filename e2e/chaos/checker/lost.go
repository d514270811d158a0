package checker

import (
	"fmt"
	"slices"

	"github.com/rosterhq/roster/e2e/chaos/workload"
)

// Catalog is one node's view of the run's instances: instance ID to the
// service it belongs to.
type Catalog map[string]string

// LostWrites is what the registration check found.
type LostWrites struct {
	// Lost: an acknowledged registration, never (maybe) deregistered,
	// missing from a node's catalog.
	Lost []string
	// Resurrected: an instance whose deregistration was acknowledged, or
	// whose registration certainly failed, present in a node's catalog.
	Resurrected []string
	// Checked is how many instances had to be present on every node.
	Checked int
}

// Count is the number of violations.
func (l LostWrites) Count() int { return len(l.Lost) + len(l.Resurrected) }

// instanceFate summarizes what clients did to one instance ID.
type instanceFate struct {
	service    string
	registered workload.Outcome
	// deregistered: the strongest deregistration outcome (OK beats
	// Unknown beats Fail); noDereg when none was attempted.
	deregistered workload.Outcome
	triedDereg   bool
}

// CheckRegistrations compares every node's catalog with the registration
// history. Only instances the history mentions are judged; nodes maps a
// node name to its catalog.
func CheckRegistrations(regs []workload.RegOp, nodes map[string]Catalog) LostWrites {
	fates := map[string]*instanceFate{}
	for _, op := range regs {
		f := fates[op.ID]
		if f == nil {
			f = &instanceFate{service: op.Service, registered: workload.Fail, deregistered: workload.Fail}
			fates[op.ID] = f
		}
		switch op.Kind {
		case workload.Register:
			f.registered = stronger(f.registered, op.Outcome)
		case workload.Deregister:
			f.triedDereg = true
			f.deregistered = stronger(f.deregistered, op.Outcome)
		}
	}
	var res LostWrites
	names := make([]string, 0, len(nodes))
	for n := range nodes {
		names = append(names, n)
	}
	slices.Sort(names)
	ids := make([]string, 0, len(fates))
	for id := range fates {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		f := fates[id]
		mustExist := f.registered == workload.OK && (!f.triedDereg || f.deregistered == workload.Fail)
		mustNot := f.registered == workload.Fail || f.triedDereg && f.deregistered == workload.OK
		if mustExist {
			res.Checked++
		}
		for _, n := range names {
			_, has := nodes[n][id]
			switch {
			case mustExist && !has:
				res.Lost = append(res.Lost, fmt.Sprintf("%s (%s) acknowledged but missing on %s", id, f.service, n))
			case mustNot && has && f.registered == workload.Fail:
				res.Resurrected = append(res.Resurrected, fmt.Sprintf("%s (%s) present on %s though its registration certainly failed", id, f.service, n))
			case mustNot && has:
				res.Resurrected = append(res.Resurrected, fmt.Sprintf("%s (%s) present on %s after an acknowledged deregistration", id, f.service, n))
			}
		}
	}
	return res
}

// stronger orders outcomes by how much they say happened: OK > Unknown > Fail.
func stronger(a, b workload.Outcome) workload.Outcome {
	rank := func(o workload.Outcome) int {
		switch o {
		case workload.OK:
			return 2
		case workload.Unknown:
			return 1
		}
		return 0
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}

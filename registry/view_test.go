package registry

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestIncrementalViewMatchesFullRebuild applies random catalog changes and
// checks after each that the incrementally maintained DNS view equals one
// rebuilt from scratch.
func TestIncrementalViewMatchesFullRebuild(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0))
			a := newTestStore(t)
			nodes := []string{"n1", "n2", "N3"}
			services := []string{"web", "db", "Api"}
			statuses := []Health{HealthPassing, HealthWarning, HealthCritical}
			for step := 0; step < 300; step++ {
				n := nodes[rng.IntN(len(nodes))]
				id := fmt.Sprintf("i%d", rng.IntN(12))
				switch rng.IntN(8) {
				case 0, 1, 2:
					a.apply(&RegisterService{
						Node: Node{Name: n, Address: fmt.Sprintf("10.0.0.%d", rng.IntN(3))},
						Instance: Instance{ID: id, Name: services[rng.IntN(len(services))], Port: rng.IntN(3),
							Tags: []string{fmt.Sprint("t", rng.IntN(2))}, Weights: Weights{Passing: 1 + rng.IntN(3), Warning: rng.IntN(2)}},
						Checks: []Check{{CheckID: "c-" + id, Status: statuses[rng.IntN(3)], Type: CheckTypeTTL}},
					})
				case 3:
					a.apply(&DeregisterService{Node: n, ServiceID: id})
				case 4:
					a.apply(&UpdateCheck{Node: n, CheckID: "c-" + id, Status: statuses[rng.IntN(3)]})
				case 5:
					a.apply(&RegisterNode{Node: Node{Name: n, Address: fmt.Sprintf("10.0.1.%d", rng.IntN(3))}, Health: statuses[rng.IntN(3)]})
				case 6:
					a.s.SetNodeDown(n, rng.IntN(2) == 0)
				case 7:
					if rng.IntN(10) == 0 {
						a.apply(&DeregisterNode{Node: n})
					}
				}
				want := newView()
				for k, v := range a.s.view.down {
					want.down[k] = v
				}
				want.reset(a.s.db.Load())
				for _, svc := range services {
					got, exp := a.s.Service(svc), loadService(want, svc)
					if (got == nil) != (exp == nil) || (got != nil && (got.Name != exp.Name || !sameInstances(got.Instances, exp.Instances))) {
						t.Fatalf("step %d, service %s:\nincremental %+v\nfull        %+v", step, svc, got, exp)
					}
				}
				for _, n := range nodes {
					got, exp := a.s.NodeView(n), loadNode(want, n)
					if !reflect.DeepEqual(got, exp) {
						t.Fatalf("step %d, node %s: %+v vs %+v", step, n, got, exp)
					}
				}
			}
		})
	}
}

func loadService(v *view, name string) *ServiceView {
	if raw, ok := v.services.Load(lower(name)); ok {
		return raw.(*ServiceView)
	}
	return nil
}

func loadNode(v *view, name string) *NodeView {
	if raw, ok := v.nodes.Load(lower(name)); ok {
		return raw.(*NodeView)
	}
	return nil
}

func sameInstances(a, b []ViewInstance) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

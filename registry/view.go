package registry

import (
	"slices"
	"sync"

	"github.com/hashicorp/go-memdb"
)

// ViewInstance is an instance as DNS answers it: healthy (passing or
// warning), on a node not known to be down, with its effective weight.
type ViewInstance struct {
	Node        string
	NodeAddress string
	ID          string
	// Address is the instance's own address, empty when it uses its node's.
	Address string
	Port    int
	Tags    []string
	// Weight is Weights.Passing, or Weights.Warning while in warning.
	Weight int
	Health Health
}

// HasTag reports whether the instance carries tag (case-insensitive).
func (v *ViewInstance) HasTag(tag string) bool {
	for _, t := range v.Tags {
		if equalFoldASCII(t, tag) {
			return true
		}
	}
	return false
}

// ServiceView is an immutable snapshot of one service's healthy instances,
// sorted by node and ID. A new pointer is published only when the list
// changes, so pointer identity tells readers whether the set changed.
type ServiceView struct {
	Name      string
	Instances []ViewInstance
}

// NodeView is an immutable snapshot of one node as DNS answers it.
type NodeView struct {
	Name    string
	Address string
}

// view holds the DNS snapshots. Readers use the sync.Maps without locks;
// rebuilders serialise on mu so a rebuild from an older state can never
// overwrite one from a newer state.
type view struct {
	mu       sync.Mutex
	down     map[string]bool // lower(node) -> known down by local gossip
	services sync.Map        // lower(service) -> *ServiceView
	nodes    sync.Map        // lower(node) -> *NodeView
}

func newView() *view { return &view{down: map[string]bool{}} }

// Service returns the DNS snapshot of a service (name case-insensitive),
// or nil when no instance of it is registered. It never blocks.
func (s *Store) Service(name string) *ServiceView {
	if v, ok := s.view.services.Load(lower(name)); ok {
		return v.(*ServiceView)
	}
	return nil
}

// NodeView returns the DNS snapshot of a node, or nil. It never blocks.
func (s *Store) NodeView(name string) *NodeView {
	if v, ok := s.view.nodes.Load(lower(name)); ok {
		return v.(*NodeView)
	}
	return nil
}

// SetNodeDown records this agent's own, gossip-based opinion that a node is
// down (failed or left) or back. DNS drops a down node's instances at once,
// before the leader's record of the failure is replicated.
func (s *Store) SetNodeDown(node string, down bool) {
	v := s.view
	v.mu.Lock()
	defer v.mu.Unlock()
	key := lower(node)
	if v.down[key] == down {
		return
	}
	if down {
		v.down[key] = true
	} else {
		delete(v.down, key)
	}
	tx := s.db.Load().Txn(false)
	services := map[string]struct{}{}
	it, err := tx.Get(tableServices, "node", node)
	if err == nil {
		for raw := it.Next(); raw != nil; raw = it.Next() {
			services[lower(raw.(*Instance).Name)] = struct{}{}
		}
	}
	v.rebuildLocked(tx, services, nil)
}

// refresh rebuilds the snapshots of the named services and nodes from db.
func (v *view) refresh(db *memdb.MemDB, services, nodes map[string]struct{}) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.rebuildLocked(db.Txn(false), services, nodes)
}

// reset rebuilds every snapshot, after the whole state was replaced.
func (v *view) reset(db *memdb.MemDB) {
	v.mu.Lock()
	defer v.mu.Unlock()
	tx := db.Txn(false)
	services, nodes := map[string]struct{}{}, map[string]struct{}{}
	v.services.Range(func(k, _ any) bool { services[k.(string)] = struct{}{}; return true })
	v.nodes.Range(func(k, _ any) bool { nodes[k.(string)] = struct{}{}; return true })
	if it, err := tx.Get(tableServices, "id"); err == nil {
		for raw := it.Next(); raw != nil; raw = it.Next() {
			services[lower(raw.(*Instance).Name)] = struct{}{}
		}
	}
	if it, err := tx.Get(tableNodes, "id"); err == nil {
		for raw := it.Next(); raw != nil; raw = it.Next() {
			nodes[lower(raw.(*Node).Name)] = struct{}{}
		}
	}
	v.rebuildLocked(tx, services, nodes)
}

func (v *view) rebuildLocked(tx *memdb.Txn, services, nodes map[string]struct{}) {
	for name := range nodes {
		raw, _ := tx.First(tableNodes, "id", name)
		if raw == nil {
			v.nodes.Delete(name)
			continue
		}
		n := raw.(*Node)
		nv := &NodeView{Name: n.Name, Address: n.Address}
		if old, ok := v.nodes.Load(name); !ok || *old.(*NodeView) != *nv {
			v.nodes.Store(name, nv)
		}
	}
	nodeHealth := map[string]Health{}
	for name := range services {
		v.rebuildService(tx, name, nodeHealth)
	}
}

// rebuildService publishes a new snapshot of one service if its healthy
// list changed. nodeHealth caches node-level check results across calls.
func (v *view) rebuildService(tx *memdb.Txn, name string, nodeHealth map[string]Health) {
	it, err := tx.Get(tableServices, "service", name)
	if err != nil {
		return
	}
	var (
		display string
		out     []ViewInstance
		any     bool
	)
	for raw := it.Next(); raw != nil; raw = it.Next() {
		inst := raw.(*Instance)
		any = true
		if display == "" {
			display = inst.Name
		}
		if v.down[lower(inst.Node)] {
			continue
		}
		h, ok := nodeHealth[lower(inst.Node)]
		if !ok {
			h = nodeChecksHealth(tx, inst.Node)
			nodeHealth[lower(inst.Node)] = h
		}
		h = h.Worse(instanceChecksHealth(tx, inst.Node, inst.ID))
		if h == HealthCritical {
			continue
		}
		nodeRaw, _ := tx.First(tableNodes, "id", inst.Node)
		if nodeRaw == nil {
			continue
		}
		weight := inst.Weights.Passing
		if h == HealthWarning {
			weight = inst.Weights.Warning
		}
		out = append(out, ViewInstance{
			Node:        inst.Node,
			NodeAddress: nodeRaw.(*Node).Address,
			ID:          inst.ID,
			Address:     inst.Address,
			Port:        inst.Port,
			Tags:        inst.Tags,
			Weight:      weight,
			Health:      h,
		})
	}
	if !any {
		v.services.Delete(name)
		return
	}
	sv := &ServiceView{Name: display, Instances: out}
	if old, ok := v.services.Load(name); ok && sameView(old.(*ServiceView), sv) {
		return
	}
	v.services.Store(name, sv)
}

// nodeChecksHealth returns the worst status of a node's node-level checks.
func nodeChecksHealth(tx *memdb.Txn, node string) Health {
	return worstCheck(tx, func(ch *Check) bool { return ch.ServiceID == "" }, "node", node)
}

// instanceChecksHealth returns the worst status of an instance's own checks.
func instanceChecksHealth(tx *memdb.Txn, node, serviceID string) Health {
	return worstCheck(tx, nil, "node_service", node, serviceID)
}

func worstCheck(tx *memdb.Txn, keep func(*Check) bool, index string, args ...any) Health {
	h := HealthPassing
	it, err := tx.Get(tableChecks, index, args...)
	if err != nil {
		return h
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if ch := raw.(*Check); keep == nil || keep(ch) {
			h = h.Worse(ch.Status)
		}
	}
	return h
}

func sameView(a, b *ServiceView) bool {
	return a.Name == b.Name && slices.EqualFunc(a.Instances, b.Instances, func(x, y ViewInstance) bool {
		return x.Node == y.Node && x.NodeAddress == y.NodeAddress && x.ID == y.ID &&
			x.Address == y.Address && x.Port == y.Port && slices.Equal(x.Tags, y.Tags) &&
			x.Weight == y.Weight && x.Health == y.Health
	})
}

package registry

import (
	"cmp"
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

	// id is the lower-case identity the view sorts and merges by, computed
	// once when the entry is built.
	id instanceKey
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

func (v *ViewInstance) key() instanceKey { return v.id }

func (v *ViewInstance) equal(o *ViewInstance) bool {
	return v.Node == o.Node && v.NodeAddress == o.NodeAddress && v.ID == o.ID &&
		v.Address == o.Address && v.Port == o.Port && slices.Equal(v.Tags, o.Tags) &&
		v.Weight == o.Weight && v.Health == o.Health
}

// instanceKey identifies an instance: lower-case node name and ID.
type instanceKey struct{ node, id string }

func compareKeys(a, b instanceKey) int {
	if c := cmp.Compare(a.node, b.node); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
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
// writers serialise on mu so a rebuild from an older state can never
// overwrite one from a newer state. A write recomputes only the instances
// it touched and merges them into a copy of the service's list, so its
// cost is the copy, not a re-read of the whole service.
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
	changed := map[string]map[instanceKey]struct{}{}
	if it, err := tx.Get(tableServices, "node", node); err == nil {
		for raw := it.Next(); raw != nil; raw = it.Next() {
			inst := raw.(*Instance)
			svc := lower(inst.Name)
			if changed[svc] == nil {
				changed[svc] = map[instanceKey]struct{}{}
			}
			changed[svc][instanceKey{node: lower(inst.Node), id: lower(inst.ID)}] = struct{}{}
		}
	}
	v.applyLocked(tx, changed, nil)
}

// refresh brings the snapshots of the changed instances and nodes up to
// date with db.
func (v *view) refresh(db *memdb.MemDB, changed map[string]map[instanceKey]struct{}, nodes map[string]struct{}) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.applyLocked(db.Txn(false), changed, nodes)
}

// reset rebuilds every snapshot, after the whole state was replaced.
func (v *view) reset(db *memdb.MemDB) {
	v.mu.Lock()
	defer v.mu.Unlock()
	tx := db.Txn(false)
	nodes := map[string]struct{}{}
	v.nodes.Range(func(k, _ any) bool { nodes[k.(string)] = struct{}{}; return true })
	if it, err := tx.Get(tableNodes, "id"); err == nil {
		for raw := it.Next(); raw != nil; raw = it.Next() {
			nodes[lower(raw.(*Node).Name)] = struct{}{}
		}
	}
	v.rebuildNodes(tx, nodes)
	v.services.Range(func(k, _ any) bool { v.services.Delete(k); return true })
	c := newHealthCache(tx, v.down)
	byService := map[string][]ViewInstance{}
	names := map[string]string{}
	if it, err := tx.Get(tableServices, "id"); err == nil {
		for raw := it.Next(); raw != nil; raw = it.Next() {
			inst := raw.(*Instance)
			svc := lower(inst.Name)
			if _, ok := names[svc]; !ok {
				names[svc] = inst.Name
				byService[svc] = nil
			}
			if e, ok := c.entry(inst); ok {
				byService[svc] = append(byService[svc], e)
			}
		}
	}
	for svc, list := range byService {
		slices.SortFunc(list, func(a, b ViewInstance) int { return compareKeys(a.key(), b.key()) })
		v.services.Store(svc, &ServiceView{Name: names[svc], Instances: list})
	}
}

func (v *view) applyLocked(tx *memdb.Txn, changed map[string]map[instanceKey]struct{}, nodes map[string]struct{}) {
	v.rebuildNodes(tx, nodes)
	c := newHealthCache(tx, v.down)
	for svc, keys := range changed {
		v.updateService(tx, c, svc, keys)
	}
}

func (v *view) rebuildNodes(tx *memdb.Txn, nodes map[string]struct{}) {
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
}

// updateService recomputes the changed instances of one service and
// publishes a new snapshot if anything DNS shows differs.
func (v *view) updateService(tx *memdb.Txn, c *healthCache, svc string, keys map[instanceKey]struct{}) {
	var old *ServiceView
	if raw, ok := v.services.Load(svc); ok {
		old = raw.(*ServiceView)
	}
	name := ""
	if old != nil {
		name = old.Name
	}
	// The new entries for the changed keys, sorted.
	var fresh []ViewInstance
	for k := range keys {
		raw, _ := tx.First(tableServices, "id", k.node, k.id)
		if raw == nil {
			continue
		}
		inst := raw.(*Instance)
		if lower(inst.Name) != svc {
			continue // renamed away from this service
		}
		name = inst.Name
		if e, ok := c.entry(inst); ok {
			fresh = append(fresh, e)
		}
	}
	slices.SortFunc(fresh, func(a, b ViewInstance) int { return compareKeys(a.key(), b.key()) })

	// Merge: the old list without the changed keys, plus the fresh entries.
	var prev []ViewInstance
	if old != nil {
		prev = old.Instances
	}
	merged := make([]ViewInstance, 0, len(prev)+len(fresh))
	same := true
	kept := 0
	i := 0
	for _, e := range prev {
		k := e.key()
		if _, ok := keys[k]; ok {
			// Must match the next fresh entry with this key, or it changed.
			if j := slices.IndexFunc(fresh, func(f ViewInstance) bool { return f.key() == k }); j < 0 || !fresh[j].equal(&e) {
				same = false
			} else {
				kept++
			}
			continue
		}
		for i < len(fresh) && compareKeys(fresh[i].key(), k) < 0 {
			merged = append(merged, fresh[i])
			i++
		}
		merged = append(merged, e)
	}
	merged = append(merged, fresh[i:]...)
	if kept != len(fresh) {
		same = false
	}

	if len(merged) == 0 {
		// Keep an empty snapshot while any instance is registered (all of
		// them unhealthy); drop it when the service is gone.
		if raw, _ := tx.First(tableServices, "service", svc); raw == nil {
			v.services.Delete(svc)
			return
		}
	}
	if old != nil && same && old.Name == name {
		return
	}
	v.services.Store(svc, &ServiceView{Name: name, Instances: merged})
}

// healthCache computes DNS entries, caching node-level facts per refresh.
type healthCache struct {
	tx    *memdb.Txn
	down  map[string]bool
	nodes map[string]nodeFacts
}

type nodeFacts struct {
	address string
	health  Health
	ok      bool // registered
}

func newHealthCache(tx *memdb.Txn, down map[string]bool) *healthCache {
	return &healthCache{tx: tx, down: down, nodes: map[string]nodeFacts{}}
}

// entry returns the DNS entry of inst, or false when DNS must not show it.
func (c *healthCache) entry(inst *Instance) (ViewInstance, bool) {
	key := lower(inst.Node)
	if c.down[key] {
		return ViewInstance{}, false
	}
	nf, ok := c.nodes[key]
	if !ok {
		if raw, _ := c.tx.First(tableNodes, "id", inst.Node); raw != nil {
			nf = nodeFacts{address: raw.(*Node).Address, health: nodeChecksHealth(c.tx, inst.Node), ok: true}
		}
		c.nodes[key] = nf
	}
	if !nf.ok {
		return ViewInstance{}, false
	}
	h := nf.health.Worse(instanceChecksHealth(c.tx, inst.Node, inst.ID))
	if h == HealthCritical {
		return ViewInstance{}, false
	}
	weight := inst.Weights.Passing
	if h == HealthWarning {
		weight = inst.Weights.Warning
	}
	return ViewInstance{
		Node: inst.Node, NodeAddress: nf.address, ID: inst.ID, Address: inst.Address,
		Port: inst.Port, Tags: inst.Tags, Weight: weight, Health: h,
		id: instanceKey{node: key, id: lower(inst.ID)},
	}, true
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

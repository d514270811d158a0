package registry

import (
	"slices"
	"sort"

	"github.com/hashicorp/go-memdb"
)

// ServiceNode is an instance together with the node that owns it.
type ServiceNode struct {
	Node     *Node
	Instance *Instance
}

// ServiceEntry is an instance, its node and every check that decides its
// health: its own and its node's (including node liveness).
type ServiceEntry struct {
	Node     *Node
	Instance *Instance
	Checks   []*Check
}

// Health returns the entry's effective status: the worst of its checks.
func (e *ServiceEntry) Health() Health {
	h := HealthPassing
	for _, c := range e.Checks {
		h = h.Worse(c.Status)
	}
	return h
}

// Queries take a memdb.WatchSet (nil for none). A query adds the channels
// that fire when its result may have changed, so a blocking query can sleep
// on them; each returns the index of the last change to what it read (at
// least 1, so that clients never mistake it for "no index").

// watchIndex returns the index recorded under key and watches its row.
func watchIndex(tx ReadTxn, ws memdb.WatchSet, keys ...string) uint64 {
	tx.Watch(ws)
	var max uint64
	for _, k := range keys {
		ch, raw, err := tx.FirstWatch(tableIndex, "id", k)
		if err != nil {
			continue
		}
		if ws != nil {
			ws.Add(ch)
		}
		if raw != nil && raw.(*indexEntry).Value > max {
			max = raw.(*indexEntry).Value
		}
	}
	return atLeastOne(max)
}

func atLeastOne(i uint64) uint64 {
	if i == 0 {
		return 1
	}
	return i
}

// Services returns every service name with the union of its instances' tags.
func (s *Store) Services(ws memdb.WatchSet) (uint64, map[string][]string) {
	tx := s.Read()
	idx := watchIndex(tx, ws, tableServices)
	out := map[string][]string{}
	it, err := tx.Get(tableServices, "id")
	if err != nil {
		return idx, out
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		inst := raw.(*Instance)
		tags := out[inst.Name]
		if tags == nil {
			tags = []string{}
		}
		for _, t := range inst.Tags {
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
		out[inst.Name] = tags
	}
	for _, tags := range out {
		sort.Strings(tags)
	}
	return idx, out
}

// ServiceNodes returns the instances of a service (optionally only those
// with tag), ordered by node and ID.
func (s *Store) ServiceNodes(ws memdb.WatchSet, name, tag string) (uint64, []ServiceNode) {
	tx := s.Read()
	idx := watchIndex(tx, ws, serviceIndexPrefix+lower(name))
	var out []ServiceNode
	for _, inst := range serviceInstances(tx, name, tag) {
		out = append(out, ServiceNode{Node: getNode(tx, inst.Node), Instance: inst})
	}
	return idx, out
}

// ServiceHealth returns the instances of a service with their checks.
// With passingOnly, instances with any non-passing check are left out.
func (s *Store) ServiceHealth(ws memdb.WatchSet, name, tag string, passingOnly bool) (uint64, []ServiceEntry) {
	tx := s.Read()
	idx := watchIndex(tx, ws, serviceIndexPrefix+lower(name))
	var out []ServiceEntry
	nodeChecks := map[string][]*Check{}
	for _, inst := range serviceInstances(tx, name, tag) {
		nc, ok := nodeChecks[inst.Node]
		if !ok {
			nc = checks(tx, func(c *Check) bool { return c.ServiceID == "" }, "node", inst.Node)
			nodeChecks[inst.Node] = nc
		}
		e := ServiceEntry{
			Node:     getNode(tx, inst.Node),
			Instance: inst,
			Checks:   append(slices.Clip(nc), checks(tx, nil, "node_service", inst.Node, inst.ID)...),
		}
		if passingOnly && e.Health() != HealthPassing {
			continue
		}
		out = append(out, e)
	}
	return idx, out
}

// Nodes returns every node, ordered by name.
func (s *Store) Nodes(ws memdb.WatchSet) (uint64, []*Node) {
	tx := s.Read()
	idx := watchIndex(tx, ws, tableNodes)
	var out []*Node
	it, err := tx.Get(tableNodes, "id")
	if err != nil {
		return idx, out
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*Node))
	}
	return idx, out
}

// NodeServices returns a node and its instances; the node is nil when it is
// not registered.
func (s *Store) NodeServices(ws memdb.WatchSet, node string) (uint64, *Node, []*Instance) {
	tx := s.Read()
	idx := watchIndex(tx, ws, tableNodes, tableServices)
	n := getNode(tx, node)
	if n == nil {
		return idx, nil, nil
	}
	var out []*Instance
	it, err := tx.Get(tableServices, "node", n.Name)
	if err != nil {
		return idx, n, nil
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*Instance))
	}
	return idx, n, out
}

// NodeChecks returns every check on a node. The watch fires only for
// changes to this node's checks.
func (s *Store) NodeChecks(ws memdb.WatchSet, node string) (uint64, []*Check) {
	tx := s.Read()
	tx.Watch(ws)
	idx := watchIndex(tx, nil, tableChecks)
	it, err := tx.Get(tableChecks, "node", node)
	if err != nil {
		return idx, nil
	}
	if ws != nil {
		ws.Add(it.WatchCh())
	}
	var out []*Check
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*Check))
	}
	return idx, out
}

// ServiceChecks returns the checks of every instance of a service.
func (s *Store) ServiceChecks(ws memdb.WatchSet, name string) (uint64, []*Check) {
	tx := s.Read()
	idx := watchIndex(tx, ws, serviceIndexPrefix+lower(name))
	return idx, checks(tx, nil, "service", name)
}

// ChecksInState returns every check with the given status ("any" for all).
func (s *Store) ChecksInState(ws memdb.WatchSet, state string) (uint64, []*Check) {
	tx := s.Read()
	idx := watchIndex(tx, ws, tableChecks)
	if state == "any" {
		return idx, checks(tx, nil, "id")
	}
	return idx, checks(tx, nil, "status", state)
}

// Check returns one check, or nil.
func (s *Store) Check(node, id string) *Check {
	tx := s.Read()
	raw, err := tx.First(tableChecks, "id", node, id)
	if err != nil || raw == nil {
		return nil
	}
	return raw.(*Check)
}

// Instance returns one instance, or nil.
func (s *Store) Instance(node, id string) *Instance {
	tx := s.Read()
	raw, err := tx.First(tableServices, "id", node, id)
	if err != nil || raw == nil {
		return nil
	}
	return raw.(*Instance)
}

// Node returns one node, or nil.
func (s *Store) Node(name string) *Node {
	return getNode(s.Read(), name)
}

func getNode(tx ReadTxn, name string) *Node {
	raw, err := tx.First(tableNodes, "id", name)
	if err != nil || raw == nil {
		return nil
	}
	return raw.(*Node)
}

func serviceInstances(tx ReadTxn, name, tag string) []*Instance {
	it, err := tx.Get(tableServices, "service", name)
	if err != nil {
		return nil
	}
	var out []*Instance
	for raw := it.Next(); raw != nil; raw = it.Next() {
		inst := raw.(*Instance)
		if tag == "" || inst.HasTag(tag) {
			out = append(out, inst)
		}
	}
	return out
}

func checks(tx ReadTxn, keep func(*Check) bool, index string, args ...any) []*Check {
	it, err := tx.Get(tableChecks, index, args...)
	if err != nil {
		return nil
	}
	var out []*Check
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if c := raw.(*Check); keep == nil || keep(c) {
			out = append(out, c)
		}
	}
	return out
}

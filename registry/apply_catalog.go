package registry

import (
	"fmt"
	"maps"
	"strings"
)

func lower(s string) string { return strings.ToLower(s) }

func (w *writeTxn) getNode(name string) *Node {
	raw, err := w.First(tableNodes, "id", name)
	w.fail(err)
	if raw == nil {
		return nil
	}
	return raw.(*Node)
}

func (w *writeTxn) getInstance(node, id string) *Instance {
	raw, err := w.First(tableServices, "id", node, id)
	w.fail(err)
	if raw == nil {
		return nil
	}
	return raw.(*Instance)
}

func (w *writeTxn) getCheck(node, id string) *Check {
	raw, err := w.First(tableChecks, "id", node, id)
	w.fail(err)
	if raw == nil {
		return nil
	}
	return raw.(*Check)
}

// upsertNode inserts n, or updates the stored node if its content differs.
func (w *writeTxn) upsertNode(n Node) *Node {
	existing := w.getNode(n.Name)
	if existing != nil {
		if existing.ID == n.ID && existing.Address == n.Address &&
			existing.Datacenter == n.Datacenter && maps.Equal(existing.Meta, n.Meta) {
			return existing
		}
		n.CreateIndex = existing.CreateIndex
	} else {
		n.CreateIndex = w.index
	}
	n.ModifyIndex = w.index
	w.fail(w.Insert(tableNodes, &n))
	w.setIndex(tableNodes)
	w.touchNodeServices(n.Name)
	return &n
}

// touchNodeServices marks the node and every instance on it as changed.
func (w *writeTxn) touchNodeServices(node string) {
	w.touchNode(node)
	it, err := w.Get(tableServices, "node", node)
	w.fail(err)
	if err != nil {
		return
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		inst := raw.(*Instance)
		w.touchInstance(inst.Name, inst.Node, inst.ID)
	}
}

func (w *writeTxn) registerNode(c *RegisterNode) error {
	if c.Node.Name == "" {
		return fmt.Errorf("%w: node name is empty", ErrInvalidCommand)
	}
	if c.Health != "" && !c.Health.Valid() {
		return fmt.Errorf("%w: status %q", ErrInvalidCommand, c.Health)
	}
	node := w.upsertNode(c.Node)
	if c.Health != "" {
		w.upsertCheck(Check{
			Node:    node.Name,
			CheckID: NodeHealthCheckID,
			Name:    "Serf Health Status",
			Status:  c.Health,
			Output:  c.Output,
			Type:    CheckTypeSerf,
		}, false)
	}
	return nil
}

func (w *writeTxn) deregisterNode(c *DeregisterNode) error {
	node := w.getNode(c.Node)
	if node == nil {
		return fmt.Errorf("%w: %q", ErrNodeNotFound, c.Node)
	}
	w.touchNodeServices(node.Name)
	n, err := w.DeleteAll(tableServices, "node", node.Name)
	w.fail(err)
	if n > 0 {
		w.setIndex(tableServices)
	}
	n, err = w.DeleteAll(tableChecks, "node", node.Name)
	w.fail(err)
	if n > 0 {
		w.setIndex(tableChecks)
	}
	w.fail(w.Delete(tableNodes, node))
	w.setIndex(tableNodes)
	return nil
}

func (w *writeTxn) registerService(c *RegisterService) error {
	if c.Node.Name == "" || c.Instance.ID == "" || c.Instance.Name == "" {
		return fmt.Errorf("%w: node, service ID and name are required", ErrInvalidCommand)
	}
	node := w.getNode(c.Node.Name)
	switch {
	case node == nil:
		node = w.upsertNode(c.Node)
	case c.Node.Address != "" && c.Node.Address != node.Address:
		// The owning agent is the authority on its own address (it may
		// have restarted on a new one); keep what else the node has.
		upd := *node
		upd.Address = c.Node.Address
		node = w.upsertNode(upd)
	}
	inst := c.Instance
	inst.Node = node.Name
	existing := w.getInstance(node.Name, inst.ID)
	switch {
	case existing != nil && existing.sameContent(&inst):
		inst = *existing
	default:
		inst.CreateIndex = w.index
		if existing != nil {
			inst.CreateIndex = existing.CreateIndex
			// Same ID under a new ID spelling or name: the old name loses it.
			inst.ID = existing.ID
			if lower(existing.Name) != lower(inst.Name) {
				w.touchInstance(existing.Name, existing.Node, existing.ID)
			}
		}
		inst.ModifyIndex = w.index
		w.fail(w.Insert(tableServices, &inst))
		w.setIndex(tableServices)
		w.touchInstance(inst.Name, inst.Node, inst.ID)
	}

	keep := make(map[string]bool, len(c.Checks))
	for _, ch := range c.Checks {
		ch.Node, ch.ServiceID, ch.ServiceName = node.Name, inst.ID, inst.Name
		keep[ch.CheckID] = true
		w.upsertCheck(ch, true)
	}
	// Existing checks of the instance: drop the ones the registration no
	// longer names (when asked), and follow a rename of the service.
	for _, old := range w.instanceChecks(node.Name, inst.ID) {
		switch {
		case keep[old.CheckID]:
		case c.ReplaceChecks:
			w.fail(w.Delete(tableChecks, old))
			w.setIndex(tableChecks)
			w.touchInstance(inst.Name, inst.Node, inst.ID)
		case old.ServiceName != inst.Name:
			upd := *old
			upd.ServiceName, upd.ModifyIndex = inst.Name, w.index
			w.fail(w.Insert(tableChecks, &upd))
			w.setIndex(tableChecks)
		}
	}
	return nil
}

func (w *writeTxn) instanceChecks(node, serviceID string) []*Check {
	it, err := w.Get(tableChecks, "node_service", node, serviceID)
	w.fail(err)
	if err != nil {
		return nil
	}
	var out []*Check
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*Check))
	}
	return out
}

// upsertCheck inserts ch or updates the stored check. With keepStatus, a
// check whose definition is unchanged keeps its current status and output.
func (w *writeTxn) upsertCheck(ch Check, keepStatus bool) {
	existing := w.getCheck(ch.Node, ch.CheckID)
	ch.CreateIndex = w.index
	if existing != nil {
		if keepStatus && existing.Type == ch.Type && existing.Definition.Equal(&ch.Definition) {
			ch.Status, ch.Output = existing.Status, existing.Output
		}
		if existing.sameContent(&ch) {
			return
		}
		ch.CreateIndex = existing.CreateIndex
		if existing.ServiceID != ch.ServiceID {
			w.touchCheckTarget(existing)
		}
	}
	ch.ModifyIndex = w.index
	w.fail(w.Insert(tableChecks, &ch))
	w.setIndex(tableChecks)
	w.touchCheckTarget(&ch)
}

// touchCheckTarget marks what a check's status affects: its service, or
// for a node-level check every service on the node.
func (w *writeTxn) touchCheckTarget(ch *Check) {
	if ch.ServiceID != "" {
		w.touchInstance(ch.ServiceName, ch.Node, ch.ServiceID)
		return
	}
	w.touchNodeServices(ch.Node)
}

func (w *writeTxn) deregisterService(c *DeregisterService) error {
	inst := w.getInstance(c.Node, c.ServiceID)
	if inst == nil {
		return fmt.Errorf("%w: %q on node %q", ErrServiceNotFound, c.ServiceID, c.Node)
	}
	for _, ch := range w.instanceChecks(inst.Node, inst.ID) {
		w.fail(w.Delete(tableChecks, ch))
		w.setIndex(tableChecks)
	}
	w.fail(w.Delete(tableServices, inst))
	w.setIndex(tableServices)
	w.touchInstance(inst.Name, inst.Node, inst.ID)
	return nil
}

func (w *writeTxn) registerCheck(c *RegisterCheck) error {
	ch := c.Check
	if ch.CheckID == "" || !ch.Status.Valid() {
		return fmt.Errorf("%w: check ID and a valid status are required", ErrInvalidCommand)
	}
	node := w.getNode(ch.Node)
	if node == nil {
		return fmt.Errorf("%w: %q", ErrNodeNotFound, ch.Node)
	}
	ch.Node = node.Name
	ch.ServiceName = ""
	if ch.ServiceID != "" {
		inst := w.getInstance(node.Name, ch.ServiceID)
		if inst == nil {
			return fmt.Errorf("%w: %q on node %q", ErrServiceNotFound, ch.ServiceID, node.Name)
		}
		ch.ServiceID, ch.ServiceName = inst.ID, inst.Name
	}
	w.upsertCheck(ch, true)
	return nil
}

func (w *writeTxn) deregisterCheck(c *DeregisterCheck) error {
	ch := w.getCheck(c.Node, c.CheckID)
	if ch == nil {
		return fmt.Errorf("%w: %q on node %q", ErrCheckNotFound, c.CheckID, c.Node)
	}
	w.fail(w.Delete(tableChecks, ch))
	w.setIndex(tableChecks)
	w.touchCheckTarget(ch)
	return nil
}

func (w *writeTxn) updateCheck(c *UpdateCheck) error {
	if !c.Status.Valid() {
		return fmt.Errorf("%w: status %q", ErrInvalidCommand, c.Status)
	}
	ch := w.getCheck(c.Node, c.CheckID)
	if ch == nil {
		return fmt.Errorf("%w: %q on node %q", ErrCheckNotFound, c.CheckID, c.Node)
	}
	if ch.Status == c.Status && ch.Output == c.Output {
		return nil
	}
	upd := *ch
	upd.Status, upd.Output, upd.ModifyIndex = c.Status, c.Output, w.index
	w.fail(w.Insert(tableChecks, &upd))
	w.setIndex(tableChecks)
	w.touchCheckTarget(&upd)
	return nil
}

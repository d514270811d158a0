package agent

import (
	"context"
	"time"

	"github.com/rosterhq/roster/consensus"
	"github.com/rosterhq/roster/gossip"
	"github.com/rosterhq/roster/registry"
)

// reconcileInterval is how often a leader re-checks the catalog and the
// Raft configuration against gossip even without an event.
const reconcileInterval = 5 * time.Second

// runLeaderDuties runs the leader-only loop while this node leads.
func (a *Agent) runLeaderDuties() {
	defer a.wg.Done()
	stop := func() {}
	defer func() { stop() }()
	for {
		select {
		case <-a.ctx.Done():
			return
		case leader := <-a.raft.LeaderCh():
			stop()
			stop = func() {}
			if leader {
				stop = a.startLeaderLoop()
			}
		}
	}
}

// startLeaderLoop runs leaderLoop until the returned stop is called; stop
// waits for it to finish.
func (a *Agent) startLeaderLoop() (stop func()) {
	ctx, cancel := context.WithCancel(a.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.leaderLoop(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// leaderLoop keeps the catalog's nodes and the Raft configuration in step
// with gossip while this node leads: on every membership event and every
// reconcileInterval.
func (a *Agent) leaderLoop(ctx context.Context) {
	a.logger.Info("leader duties started")
	defer a.logger.Info("leader duties stopped")
	t := time.NewTicker(reconcileInterval)
	defer t.Stop()
	reaper := &tombstoneReaper{ttl: a.cfg.TombstoneTTL}
	for {
		a.reconcile(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.reapTombstones(ctx, reaper)
		case <-a.reconcileCh:
		}
	}
}

// reconcile makes one pass over the gossip members:
//   - up: registered in the catalog with a passing serfHealth; a member
//     with a Raft address is in the Raft configuration at that address
//     (servers as voters, others as non-voters), one change at a time;
//   - failed: serfHealth critical (instances leave DNS and health);
//   - left: deregistered from the catalog and removed from Raft.
func (a *Agent) reconcile(ctx context.Context) {
	servers, err := a.raft.Servers()
	if err != nil {
		a.logger.Warn("read raft configuration", "err", err)
		return
	}
	inRaft := map[string]consensus.Server{}
	for _, s := range servers {
		inRaft[s.ID] = s
	}
	for _, m := range a.pool.Members() {
		if ctx.Err() != nil {
			return
		}
		switch {
		case m.Status == gossip.StatusAlive:
			a.ensureAlive(ctx, m)
			a.ensureRaftMember(m, inRaft)
		case m.Status == gossip.StatusFailed:
			a.ensureFailed(ctx, m)
		case m.Status == gossip.StatusLeft:
			a.removeMember(ctx, m.Name, inRaft)
		}
	}
}

func (a *Agent) write(ctx context.Context, what string, cmd registry.Command) {
	res, err := (backend{raft: a.raft}).applyRaw(ctx, cmd)
	if err == nil {
		err = res.Err
	}
	if err != nil && ctx.Err() == nil {
		a.logger.Warn("reconcile: "+what, "err", err)
	}
}

func (a *Agent) ensureAlive(ctx context.Context, m gossip.Member) {
	want := registry.Node{ID: m.Meta.ID, Name: m.Name, Address: m.Addr.String(), Datacenter: a.cfg.Datacenter}
	if n := a.store.Node(m.Name); n != nil && n.ID == want.ID && n.Address == want.Address {
		want.Meta = n.Meta
		if c := a.store.Check(m.Name, registry.NodeHealthCheckID); c != nil && c.Status == registry.HealthPassing {
			return
		}
	}
	a.write(ctx, "register "+m.Name, &registry.RegisterNode{Node: want, Health: registry.HealthPassing, Output: "Agent alive and reachable"})
}

func (a *Agent) ensureFailed(ctx context.Context, m gossip.Member) {
	node := registry.Node{ID: m.Meta.ID, Name: m.Name, Address: m.Addr.String(), Datacenter: a.cfg.Datacenter}
	if n := a.store.Node(m.Name); n != nil {
		node = *n
		if c := a.store.Check(m.Name, registry.NodeHealthCheckID); c != nil && c.Status == registry.HealthCritical {
			return
		}
	}
	node.CreateIndex, node.ModifyIndex = 0, 0
	a.write(ctx, "mark failed "+m.Name, &registry.RegisterNode{Node: node, Health: registry.HealthCritical, Output: "Agent not live or unreachable"})
}

// ensureRaftMember adds an up member with a Raft address to the Raft
// configuration, or fixes its address or suffrage.
func (a *Agent) ensureRaftMember(m gossip.Member, inRaft map[string]consensus.Server) {
	if m.Meta.RaftAddr == "" {
		return
	}
	voter := m.Meta.IsServer()
	if cur, ok := inRaft[m.Name]; ok && cur.Address == m.Meta.RaftAddr && cur.Voter == voter {
		return
	}
	var err error
	if voter {
		err = a.raft.AddVoter(m.Name, m.Meta.RaftAddr)
	} else {
		err = a.raft.AddNonvoter(m.Name, m.Meta.RaftAddr)
	}
	if err != nil {
		a.logger.Warn("reconcile: add to raft", "node", m.Name, "err", err)
		return
	}
	a.logger.Info("added to raft", "node", m.Name, "addr", m.Meta.RaftAddr, "voter", voter)
}

func (a *Agent) removeMember(ctx context.Context, name string, inRaft map[string]consensus.Server) {
	if a.store.Node(name) != nil {
		a.write(ctx, "deregister "+name, &registry.DeregisterNode{Node: name})
	}
	if _, ok := inRaft[name]; ok && name != a.cfg.NodeName {
		if err := a.raft.RemoveServer(name); err != nil {
			a.logger.Warn("reconcile: remove from raft", "node", name, "err", err)
			return
		}
		a.logger.Info("removed from raft", "node", name)
	}
}

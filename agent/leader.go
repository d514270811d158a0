package agent

import (
	"context"
	"time"

	"github.com/rosterhq/roster/registry"
)

// reconcileInterval is how often a leader re-checks the catalog's nodes
// against reality even without an event.
const reconcileInterval = 30 * time.Second

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

// leaderLoop keeps the catalog's view of nodes true while this node leads.
func (a *Agent) leaderLoop(ctx context.Context) {
	a.logger.Info("leader duties started")
	defer a.logger.Info("leader duties stopped")
	t := time.NewTicker(reconcileInterval)
	defer t.Stop()
	for {
		a.reconcileRaftAddress()
		a.reconcileSelf(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// reconcileSelf registers this node with a passing liveness check unless
// the catalog already says exactly that.
func (a *Agent) reconcileSelf(ctx context.Context) {
	want := registry.Node{ID: a.nodeID, Name: a.cfg.NodeName, Address: a.cfg.advertiseIP(), Datacenter: a.cfg.Datacenter}
	if n := a.store.Node(want.Name); n != nil && n.ID == want.ID && n.Address == want.Address {
		if c := a.store.Check(want.Name, registry.NodeHealthCheckID); c != nil && c.Status == registry.HealthPassing {
			return
		}
	}
	cmd := &registry.RegisterNode{Node: want, Health: registry.HealthPassing, Output: "Agent alive and reachable"}
	if _, err := (backend{raft: a.raft}).applyRaw(ctx, cmd); err != nil && ctx.Err() == nil {
		a.logger.Warn("register own node", "err", err)
	}
}

// reconcileRaftAddress updates this server's entry in the Raft
// configuration when it restarted on another address (a new IP, or a new
// port in tests), so peers and followers dial the right place.
func (a *Agent) reconcileRaftAddress() {
	servers, err := a.raft.Servers()
	if err != nil {
		return
	}
	for _, s := range servers {
		if s.ID == a.raft.ID() && s.Address != a.raft.Addr() {
			a.logger.Info("updating own raft address", "old", s.Address, "new", a.raft.Addr())
			if err := a.raft.AddVoter(s.ID, a.raft.Addr()); err != nil {
				a.logger.Warn("update own raft address", "err", err)
			}
		}
	}
}

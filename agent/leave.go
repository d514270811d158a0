package agent

import (
	"context"
	"fmt"
	"time"

	"github.com/rosterhq/roster/consensus"
)

// leaveTimeout bounds how long a leave waits for gossip and for the leader
// to take this server out of the Raft configuration.
const leaveTimeout = 10 * time.Second

// Leave leaves the cluster gracefully: leadership moves elsewhere first,
// the other nodes record this one as left (its instances leave the
// catalog), and the leader removes it from the Raft configuration. It
// returns when that is done or ctx ends; Done is closed after it. The
// agent keeps running until Stop.
func (a *Agent) Leave(ctx context.Context) error {
	var err error
	a.leaveOnce.Do(func() {
		defer close(a.left)
		err = a.leave(ctx)
	})
	return err
}

func (a *Agent) leave(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, leaveTimeout)
	defer cancel()
	others := a.otherServers()
	if a.raft.IsLeader() && others > 0 {
		if err := a.raft.TransferLeadership(); err != nil {
			a.logger.Warn("leave: leadership transfer failed", "err", err)
		}
	}
	if err := a.pool.Leave(leaveTimeout / 2); err != nil {
		return fmt.Errorf("leave gossip: %w", err)
	}
	if others == 0 {
		return nil
	}
	for {
		servers, err := a.raft.Servers()
		if err == nil && !containsID(servers, a.cfg.NodeName) {
			a.logger.Info("left the cluster")
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("leave: still in the raft configuration: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Done is closed once Leave has finished (successfully or not).
func (a *Agent) Done() <-chan struct{} { return a.left }

func (a *Agent) otherServers() int {
	servers, err := a.raft.Servers()
	if err != nil {
		return 0
	}
	n := 0
	for _, s := range servers {
		if s.ID != a.cfg.NodeName {
			n++
		}
	}
	return n
}

func containsID(servers []consensus.Server, id string) bool {
	for _, s := range servers {
		if s.ID == id {
			return true
		}
	}
	return false
}

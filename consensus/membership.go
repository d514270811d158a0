package consensus

import (
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
)

// Server is a member of the Raft configuration.
type Server struct {
	ID      string
	Address string
	Voter   bool
	Leader  bool
}

// ErrAlreadyBootstrapped: the node has Raft state and must not bootstrap.
var ErrAlreadyBootstrapped = errors.New("raft state exists; not bootstrapping")

// BootstrapCluster bootstraps a new cluster whose voters are servers. It is
// for --bootstrap-expect: every expected server calls it with the same
// list, and Raft makes the repeated calls harmless. A node with state
// returns ErrAlreadyBootstrapped and changes nothing.
func (n *Node) BootstrapCluster(servers []Server) error {
	if n.HasState() {
		return ErrAlreadyBootstrapped
	}
	return n.bootstrap(servers)
}

func (n *Node) bootstrap(servers []Server) error {
	cfg := raft.Configuration{}
	for _, s := range servers {
		cfg.Servers = append(cfg.Servers, raft.Server{
			Suffrage: raft.Voter, ID: raft.ServerID(s.ID), Address: raft.ServerAddress(s.Address),
		})
	}
	err := n.raft.BootstrapCluster(cfg).Error()
	if errors.Is(err, raft.ErrCantBootstrap) {
		return ErrAlreadyBootstrapped
	}
	if err != nil {
		return fmt.Errorf("bootstrap raft: %w", err)
	}
	return nil
}

// Servers returns the current Raft configuration, with the leader marked.
func (n *Node) Servers() ([]Server, error) {
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("read raft configuration: %w", err)
	}
	_, leaderID := n.raft.LeaderWithID()
	var out []Server
	for _, s := range f.Configuration().Servers {
		out = append(out, Server{
			ID: string(s.ID), Address: string(s.Address),
			Voter: s.Suffrage == raft.Voter, Leader: s.ID == leaderID,
		})
	}
	return out, nil
}

// AddVoter adds (or re-addresses) a voting server. Leader only; Raft
// applies configuration changes one at a time and this waits for it.
func (n *Node) AddVoter(id, addr string) error {
	if !n.IsLeader() {
		return ErrNotLeader
	}
	if err := n.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(addr), 0, n.cfg.ApplyTimeout).Error(); err != nil {
		return fmt.Errorf("add voter %s at %s: %w", id, addr, err)
	}
	return nil
}

// RemoveServer removes a server from the configuration. Leader only.
func (n *Node) RemoveServer(id string) error {
	if !n.IsLeader() {
		return ErrNotLeader
	}
	if err := n.raft.RemoveServer(raft.ServerID(id), 0, n.cfg.ApplyTimeout).Error(); err != nil {
		return fmt.Errorf("remove server %s: %w", id, err)
	}
	return nil
}

// TransferLeadership asks another voter to take over, for a graceful leave
// of the leader. It waits until the transfer completes or fails.
func (n *Node) TransferLeadership() error {
	if err := n.raft.LeadershipTransfer().Error(); err != nil {
		return fmt.Errorf("transfer leadership: %w", err)
	}
	return nil
}

// WaitForLeader blocks until some leader is known or timeout passes.
func (n *Node) WaitForLeader(timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		if addr, _ := n.Leader(); addr != "" {
			return addr, nil
		}
		if time.Now().After(deadline) {
			return "", ErrNoLeader
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Snapshot forces a snapshot now (used by tests and operators).
func (n *Node) Snapshot() error {
	if err := n.raft.Snapshot().Error(); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	return nil
}

// AddNonvoter adds (or re-addresses) a server that replicates the log but
// does not vote. Leader only.
func (n *Node) AddNonvoter(id, addr string) error {
	if !n.IsLeader() {
		return ErrNotLeader
	}
	if err := n.raft.AddNonvoter(raft.ServerID(id), raft.ServerAddress(addr), 0, n.cfg.ApplyTimeout).Error(); err != nil {
		return fmt.Errorf("add non-voter %s at %s: %w", id, addr, err)
	}
	return nil
}

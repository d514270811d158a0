package agent

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/rosterhq/roster/consensus"
	"github.com/rosterhq/roster/httpapi"
	"github.com/rosterhq/roster/registry"
)

// backend adapts the Raft node to httpapi.Backend, translating consensus
// errors into the API's sentinels.
type backend struct {
	raft   *consensus.Node
	checks *checkRunner // nil until the check runner exists
}

// Apply commits cmd. When it changes this node's checks, the check runners
// are synced before Apply returns.
func (b backend) Apply(ctx context.Context, cmd registry.Command) (registry.Result, error) {
	res, err := b.applyRaw(ctx, cmd)
	if err == nil && res.Err == nil && b.checks != nil && b.checks.touchesLocalChecks(cmd) {
		b.checks.sync(nil)
	}
	return res, err
}

// applyRaw commits cmd and nothing more.
func (b backend) applyRaw(ctx context.Context, cmd registry.Command) (registry.Result, error) {
	data, err := registry.Encode(cmd)
	if err != nil {
		return registry.Result{}, err
	}
	res, err := b.raft.Apply(ctx, data)
	return res, apiError(err)
}

func (b backend) UpdateTTL(id string, status registry.Health, output string) error {
	return b.checks.updateTTL(id, status, output)
}

func (b backend) Barrier(ctx context.Context, mode httpapi.Consistency) error {
	m := consensus.ReadDefault
	switch mode {
	case httpapi.ConsistencyStale:
		m = consensus.ReadStale
	case httpapi.ConsistencyConsistent:
		m = consensus.ReadConsistent
	}
	return apiError(b.raft.Barrier(ctx, m))
}

func (b backend) Leader() string {
	addr, _ := b.raft.Leader()
	return addr
}

func (b backend) Peers() ([]string, error) {
	servers, err := b.raft.Servers()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range servers {
		if s.Voter {
			out = append(out, s.Address)
		}
	}
	return out, nil
}

func (b backend) LastContact() (time.Duration, bool) {
	addr, _ := b.raft.Leader()
	return b.raft.LastContact(), addr != ""
}

func apiError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, consensus.ErrNoLeader):
		return fmt.Errorf("%w: %v", httpapi.ErrNoLeader, err)
	case errors.Is(err, consensus.ErrUnknownOutcome):
		return fmt.Errorf("%w: %v", httpapi.ErrUnknownOutcome, err)
	case errors.Is(err, consensus.ErrShutdown):
		return fmt.Errorf("%w: %v", httpapi.ErrShuttingDown, err)
	}
	return err
}

func (b backend) Stats() map[string]map[string]string {
	return map[string]map[string]string{"raft": b.raft.Stats()}
}

func (b backend) RaftConfiguration() ([]httpapi.RaftServer, uint64, error) {
	servers, err := b.raft.Servers()
	if err != nil {
		return nil, 0, err
	}
	out := make([]httpapi.RaftServer, 0, len(servers))
	for _, s := range servers {
		out = append(out, httpapi.RaftServer{ID: s.ID, Node: s.ID, Address: s.Address,
			Leader: s.Leader, Voter: s.Voter, ProtocolVersion: "3"})
	}
	idx, _ := strconv.ParseUint(b.raft.Stats()["latest_configuration_index"], 10, 64)
	return out, idx, nil
}

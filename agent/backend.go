package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rosterhq/roster/consensus"
	"github.com/rosterhq/roster/httpapi"
	"github.com/rosterhq/roster/registry"
)

// backend adapts the Raft node to httpapi.Backend, translating consensus
// errors into the API's sentinels.
type backend struct {
	raft *consensus.Node
}

func (b backend) Apply(ctx context.Context, cmd registry.Command) (registry.Result, error) {
	data, err := registry.Encode(cmd)
	if err != nil {
		return registry.Result{}, err
	}
	res, err := b.raft.Apply(ctx, data)
	return res, apiError(err)
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

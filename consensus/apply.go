package consensus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"

	"github.com/rosterhq/roster/registry"
)

// Apply commits an encoded registry command and returns the state
// machine's result. On a follower the command is forwarded to the leader;
// while there is no leader it waits up to Config.LeaderWait. When Apply
// returns on a follower, the follower has applied the entry too (or a
// short grace period passed), so a read of local state that follows sees
// the write.
func (n *Node) Apply(ctx context.Context, cmd []byte) (registry.Result, error) {
	waitUntil := time.Now().Add(n.cfg.LeaderWait)
	for attempt := 0; ; attempt++ {
		if err := n.ctx.Err(); err != nil {
			return registry.Result{}, ErrShutdown
		}
		if n.IsLeader() {
			res, err := n.applyLocal(ctx, cmd)
			if !errors.Is(err, errLocalNotLeader) {
				return res, err
			}
		} else if addr, _ := n.Leader(); addr != "" {
			res, err := n.forwardApply(ctx, addr, cmd)
			if err == nil {
				return res, nil
			}
			var notSent errNotSent
			if !errors.Is(err, errRemoteNotLeader) && !errors.As(err, &notSent) {
				return res, err
			}
			n.logger.Debug("forwarding failed, will retry", "leader", addr, "err", err)
		}
		if err := n.sleepForLeader(ctx, waitUntil, attempt); err != nil {
			return registry.Result{}, err
		}
	}
}

// sleepForLeader backs off briefly before another attempt, or gives up with
// ErrNoLeader once the leader wait is over.
func (n *Node) sleepForLeader(ctx context.Context, until time.Time, attempt int) error {
	if time.Now().After(until) {
		return fmt.Errorf("%w: none elected within %s", ErrNoLeader, n.cfg.LeaderWait)
	}
	d := time.Duration(min(10*(attempt+1), 200)) * time.Millisecond
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %v while waiting for one", ErrNoLeader, ctx.Err())
	case <-n.ctx.Done():
		return ErrShutdown
	}
}

// applyLocal appends cmd on this node, which must be the leader, and waits
// for it to be applied. errLocalNotLeader means it was not appended.
func (n *Node) applyLocal(ctx context.Context, cmd []byte) (registry.Result, error) {
	timeout := n.cfg.ApplyTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(d))
	}
	f := n.raft.Apply(cmd, timeout)
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		// The entry may still commit; the caller gave up waiting.
		return registry.Result{}, fmt.Errorf("%w: %v", ErrUnknownOutcome, ctx.Err())
	}
	if err != nil {
		switch {
		case errors.Is(err, raft.ErrNotLeader):
			return registry.Result{}, errLocalNotLeader
		case errors.Is(err, raft.ErrRaftShutdown):
			return registry.Result{}, ErrShutdown
		case errors.Is(err, raft.ErrEnqueueTimeout):
			// Raft never took the entry.
			return registry.Result{}, fmt.Errorf("%w: raft is overloaded", ErrNoLeader)
		default:
			return registry.Result{}, fmt.Errorf("%w: %v", ErrUnknownOutcome, err)
		}
	}
	res, ok := f.Response().(registry.Result)
	if !ok {
		return registry.Result{}, fmt.Errorf("state machine returned %T", f.Response())
	}
	return res, nil
}

// followerGrace bounds how long a follower waits to apply a write it
// forwarded before acknowledging it anyway (it is committed either way).
const followerGrace = time.Second

func (n *Node) forwardApply(ctx context.Context, addr string, cmd []byte) (registry.Result, error) {
	cctx, cancel := context.WithTimeout(ctx, n.cfg.ApplyTimeout+time.Second)
	defer cancel()
	reply, err := n.pool.call(cctx, addr, opApply, cmd)
	if err != nil {
		return registry.Result{}, err
	}
	var res registry.Result
	if err := res.UnmarshalBinary(reply); err != nil {
		return res, fmt.Errorf("%w: %v", ErrUnknownOutcome, err)
	}
	wctx, wcancel := context.WithTimeout(ctx, followerGrace)
	defer wcancel()
	if err := n.store.WaitForIndex(wctx, res.Index); err != nil {
		n.logger.Debug("forwarded write not yet applied locally", "index", res.Index)
	}
	return res, nil
}

package consensus

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// ReadMode is a read's consistency mode, as Consul names them.
type ReadMode int

// The read modes.
const (
	// ReadDefault reads state at least as new as the leader's applied
	// state when the read began (a new leader's only after it caught up
	// with earlier terms); the leader does not confirm its leadership.
	ReadDefault ReadMode = iota
	// ReadStale reads whatever this node has applied, with no leader.
	ReadStale
	// ReadConsistent confirms leadership with a quorum first, so the read
	// reflects every write acknowledged before it began (linearizable).
	ReadConsistent
)

// Barrier waits until local state may serve a read in the given mode: for
// ReadDefault and ReadConsistent it learns the leader's read index (its
// applied index; for ReadConsistent after a quorum confirms its leadership)
// and waits for this node to apply up to it. ReadStale returns at once.
func (n *Node) Barrier(ctx context.Context, mode ReadMode) error {
	if mode == ReadStale {
		return nil
	}
	consistent := mode == ReadConsistent
	waitUntil := time.Now().Add(n.cfg.LeaderWait)
	for attempt := 0; ; attempt++ {
		var (
			idx uint64
			err error
		)
		if n.IsLeader() {
			idx, err = n.localReadIndex(ctx, consistent)
			if err == nil {
				return nil // the leader's own state is the read index
			}
		} else if addr, _ := n.Leader(); addr != "" {
			idx, err = n.forwardReadIndex(ctx, addr, consistent)
			if err == nil {
				return n.store.WaitForIndex(ctx, idx)
			}
		} else {
			err = errLocalNotLeader
		}
		var notSent errNotSent
		if !errors.Is(err, errLocalNotLeader) && !errors.Is(err, errRemoteNotLeader) &&
			!errors.As(err, &notSent) && !errors.Is(err, ErrUnknownOutcome) {
			return err
		}
		// A read changes nothing, so any failure so far can be retried.
		if err := n.sleepForLeader(ctx, waitUntil, attempt); err != nil {
			return err
		}
	}
}

// localReadIndex returns the index up to which this leader's state must be
// applied for a read. A new leader first applies every entry of earlier
// terms (the barrier after its election), so even a default read never
// sees less than what was acknowledged before the election. With
// consistent, it also confirms leadership with a quorum.
func (n *Node) localReadIndex(ctx context.Context, consistent bool) (uint64, error) {
	if !n.IsLeader() {
		return 0, errLocalNotLeader
	}
	if consistent {
		if err := n.raft.VerifyLeader().Error(); err != nil {
			return 0, errLocalNotLeader
		}
	}
	for !n.consistentReady.Load() {
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("%w: new leader has not caught up yet", ErrNoLeader)
		case <-time.After(5 * time.Millisecond):
		}
		if !n.IsLeader() {
			return 0, errLocalNotLeader
		}
	}
	return n.store.AppliedIndex(), nil
}

func (n *Node) forwardReadIndex(ctx context.Context, addr string, consistent bool) (uint64, error) {
	flag := byte(0)
	if consistent {
		flag = 1
	}
	cctx, cancel := context.WithTimeout(ctx, n.cfg.ApplyTimeout)
	defer cancel()
	reply, err := n.pool.call(cctx, addr, opReadIndex, []byte{flag})
	if err != nil {
		return 0, err
	}
	if len(reply) != 8 {
		return 0, fmt.Errorf("read index reply of %d bytes", len(reply))
	}
	return binary.BigEndian.Uint64(reply), nil
}

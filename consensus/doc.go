// Package consensus runs roster's Raft group (hashicorp/raft with
// raft-boltdb on disk) around the registry state machine.
//
// It owns bootstrap (exactly once, never on a node that has state),
// membership changes (one server at a time), applying commands (forwarded
// to the leader when this node is a follower), and read barriers for the
// consistency modes. It is the only package that knows Raft.
//
// Invariants:
//
//   - A write is acknowledged only after it is committed and applied on the
//     leader; the Result carries the state machine's own verdict, which Raft's
//     future reports separately from Raft's errors.
//   - Errors say whether the write may have happened: ErrNoLeader and a
//     refused dial mean it did not; ErrUnknownOutcome means it may have.
//   - One TCP port carries both Raft traffic and the forwarding RPC; the
//     first byte of each connection says which.
package consensus

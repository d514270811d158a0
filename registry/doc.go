// Package registry is roster's domain core: the data model (nodes, service
// instances, health checks, KV entries), the replicated state machine that
// Raft drives, the queries the front ends read, and the derived, lock-free
// per-service view the DNS server answers from.
//
// Invariants:
//
//   - Apply is deterministic. It reads no clock, draws no random numbers, does
//     no I/O and never depends on map iteration order. Everything a command
//     needs (IDs, statuses, node addresses) is decided before it is encoded.
//   - A command that is valid but cannot be carried out (unknown ID, failed
//     compare-and-set) is rejected: Apply returns the error in its Result and
//     the state is unchanged. A command that cannot be decoded is corruption
//     and panics, because skipping it would make replicas diverge.
//   - Indexes come from the Raft log: CreateIndex is the index of the entry
//     that created an object, ModifyIndex of the last one that changed it.
//     Re-applying an identical registration changes nothing, not even an
//     index, so retries are safe and watchers are not woken for nothing.
//   - Effective health is derived at read time: an instance is critical if
//     any of its checks or its node's checks is critical, so a node failure is
//     one log entry, not one per instance.
//   - The DNS view is rebuilt for exactly the services a change touched, and
//     readers see immutable snapshots through atomic loads: no lock is taken
//     on the DNS answer path.
package registry

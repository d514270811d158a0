// Package checker judges a chaos run. Every function is pure over what the
// run recorded, so each is unit-tested on hand-made histories:
//
//   - CheckLinearizable: the KV history against a register+CAS model per
//     key with porcupine; maybe-applied writes stay open to the end.
//   - CheckRegistrations: no acknowledged registration lost, no
//     acknowledged deregistration undone, on any node.
//   - Diverged: whether the nodes' replicas are identical.
//   - Terms / ReadElections: at most one leader per Raft term.
//   - DNS availability is computed by workload.DNSStats.
package checker

// Package checks runs the health checks of the instances this agent owns
// (HTTP, TCP, TTL, gRPC and exec) and reports their results to the
// replicated state through a Reporter the agent implements.
//
// A Manager owns one runner per check. The agent hands it the replicated set
// of this node's checks with Sync whenever that set changes and once at start,
// so runners are rebuilt from replicated state after a restart. Each runner
// has its own goroutine: a slow probe or a blocked write holds up only its own
// check.
//
// Invariants:
//
//   - Only changes are written. A runner starts from the replicated Status and
//     Output of its check; a status change is written at once, an output-only
//     change at most once per Config.OutputInterval (carrying the latest
//     output), and a steady state writes nothing. A restart whose first probe
//     agrees with the replicated state writes nothing.
//   - Thresholds (SuccessBeforePassing, FailuresBeforeWarning,
//     FailuresBeforeCritical) are applied by a pure function of the previous
//     state and one result; see thresholds.apply for the exact rules, which
//     are Consul's.
//   - A failed write is retried with capped exponential backoff, always with
//     the latest state, never in a tight loop; other checks are not affected.
//   - Output is valid UTF-8 of at most MaxOutputSize bytes; longer output is
//     cut on a rune boundary and marked as truncated.
//   - The first probe of a check is delayed by a random fraction of its
//     interval, so checks registered together do not fire in lockstep; later
//     probes keep a steady period.
//   - Exec checks run only when Config.EnableScriptChecks is set, without a
//     shell, in their own process group; a timeout kills the whole group.
//   - After Stop, or after Sync has removed a check, its runner makes no more
//     Reporter calls.
//
// The package imports registry for its types only; it knows nothing of Raft,
// HTTP handlers or gossip.
package checks

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
// Decisions worth knowing when wiring it:
//
//   - Thresholds after a restart: a runner seeded passing or warning needs
//     FailuresBeforeWarning/Critical failures to leave that status, as if
//     the agent had not restarted. A runner seeded critical (also the
//     initial status of a new check) takes the first success at once, as
//     Consul's freshly started checks do.
//   - An exec check on an agent without EnableScriptChecks is reported
//     critical with an output that says why, rather than silently ignored:
//     the check exists in the replicated state, so its instance must not
//     look healthy. A definition that cannot run (bad URL, no interval) is
//     reported critical the same way.
//   - HTTP checks follow redirects (at most 10), as Consul does, and do not
//     use the agent's proxy settings.
//   - Manager.UpdateTTL never blocks on a write: the runner writes after it
//     returns. TTL reports are not subject to thresholds.
//
// The package imports registry for its types only; it knows nothing of Raft,
// HTTP handlers or gossip.
package checks

// Package cluster runs real roster agents for the chaos suite: it builds
// the binary once, starts one agent per network namespace, and gives the
// fault injector its levers (SIGKILL and restart on the same data
// directory, SIGSTOP/SIGCONT, cuts between namespaces) and the workload
// and checkers their view (addresses, liveness, the current leader).
//
// Invariants:
//   - A node is "live" from the moment its API answers after a (re)start
//     until it is killed or paused. Each change of liveness bumps the node's
//     epoch, so a measurement that spans a change can be told apart and
//     discarded (a query to a paused process is not a DNS outage).
//   - Every process is started with a parent-death signal and killed by
//     Close; the network's Destroy kills anything left in the namespaces.
//   - Agent output (JSON logs) is appended to one file per node across
//     restarts; the leader-per-term check reads those files afterwards.
package cluster

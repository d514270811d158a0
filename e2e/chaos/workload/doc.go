// Package workload drives the chaos suite's clients against every node and
// records what they saw: KV get/put/CAS/delete histories (for the
// linearizability checker), registrations and deregistrations with unique
// IDs (for the lost-write checker), and DNS answers per node (for the
// availability checker).
//
// Outcomes follow what a client can know:
//   - OK: acknowledged (a read's value, a write's 200).
//   - Fail: certainly not applied: refused before it was sent, a 4xx, or
//     503 "no cluster leader" (roster promises nothing was written).
//   - Unknown: maybe applied: 503 "write outcome unknown", any other 5xx,
//     or a transport error after the request was written (reset, timeout).
//
// In-flight operations outlive the run's context (they have their own
// timeout), so stopping the workload does not manufacture ambiguity.
package workload

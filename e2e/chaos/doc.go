// Package chaos is roster's fault-injection suite: real agents in network
// namespaces, a seeded schedule of partitions, kills and pauses, a mixed
// KV/catalog/DNS workload against every node, and checkers for
// linearizability (porcupine), lost writes, convergence, DNS availability
// and leadership. See TestChaos and the README of e2e/chaos for how to run
// it; it is skipped unless ROSTER_CHAOS=1, and it needs root.
//
// The parts live in subpackages, each usable and tested on its own:
// netns (namespaces and cuts), cluster (agent processes), nemesis (fault
// schedule and injection), workload (clients and history), checker
// (verdicts). This package wires them into one run and prints its report.
package chaos

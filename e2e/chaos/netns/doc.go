// Package netns builds the chaos suite's network: one Linux network
// namespace per node, each joined by a veth pair to a bridge in the root
// namespace, and per-namespace iptables rules that cut links between nodes.
//
// It needs root and the ip and iptables commands (iproute2, iptables).
//
// Invariants:
//   - Every name it creates carries the run's ID (namespaces "rc-<id>-<host>",
//     bridge "rcb<id>", veths "rcv<id><i>"), so runs on one machine never
//     collide, and each run gets its own /24 in 198.18.0.0/15 (RFC 2544's
//     benchmarking range, which no real network uses).
//   - A run registers itself under /run/roster-chaos before it creates
//     anything; CleanLeftovers removes everything of runs whose owning
//     process is gone, so a crashed run is cleaned by the next one.
//   - Firewall rules only ever name node addresses: traffic between the
//     test process (the bridge address) and any node is never cut.
package netns

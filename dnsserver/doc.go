// Package dnsserver is roster's DNS front end: it answers service, node and
// address names in the discovery domain over UDP and TCP (miekg/dns), from a
// node's local replica, read through the narrow Catalog interface.
//
// Names (domain "roster." by default):
//
//	<svc>.service.<domain>            A, AAAA (ANY: both), SRV
//	<tag>.<svc>.service.<domain>      the same, instances tagged <tag> only
//	_<svc>._tcp.service.<domain>      SRV (RFC 2782); _tcp means no tag
//	_<svc>._<tag>.service.<domain>    SRV of instances tagged <tag>
//	<node>.node.<domain>              A or AAAA of the node (CNAME for a host name)
//	<hex>.addr.<domain>               A (8 hex digits) or AAAA (32) of the address in the name
//	<domain>                          SOA, NS (target ns.<domain>)
//	ns.<domain>                       A/AAAA of Config.NodeName's node
//
// SRV records have priority 1, the instance's weight (clamped to 0..65535),
// its port and a target that resolves in this zone: <hex>.addr.<domain>
// when the instance has an IP address of its own, <node>.node.<domain>
// when it uses its node's, or the host name itself when the address is one
// (then A/AAAA queries get a CNAME to it). Target addresses go in the
// additional section, once per target.
//
// Invariants:
//
//   - The answer path takes no global lock and reads only immutable data:
//     the catalog's per-service views, and candidate sets derived from a
//     view once and replaced, never changed, when the view pointer changes.
//     A set holds its answer records prebuilt under the lower-case query
//     name; replies share them (a query spelled in mixed case gets copies
//     under its own spelling). The only mutable state is one weighted
//     round-robin rotation per (service, tag, query type, name form), each
//     behind its own mutex held for one step.
//   - Every answer lists all healthy instances that fit, in smooth weighted
//     round-robin order; the first record follows the smooth WRR sequence
//     exactly, so over total-weight consecutive queries each instance comes
//     first exactly weight times. A rotation restarts when its set changes.
//   - Health is one predicate (Server.healthy): the catalog already leaves
//     out critical instances and down nodes; OnlyPassing also leaves out
//     warning ones. A service or tag with no healthy instance does not
//     exist (NXDOMAIN); one whose instances all have the other address
//     family answers NODATA.
//   - Replies are authoritative for names in the domain, REFUSED outside it
//     (no recursion). Negative answers carry the SOA, whose TTL and MINIMUM
//     are the negative TTL. The question is echoed exactly as asked.
//   - A UDP reply never exceeds 512 bytes, or the client's EDNS0 buffer
//     capped at Config.UDPSize; a TCP reply never exceeds 65535. Records are
//     dropped whole, additional ones first; TC is set when answers are
//     dropped.
package dnsserver

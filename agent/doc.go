// Package agent wires a roster node together: it builds the registry store,
// the Raft node, the HTTP API (and, as they arrive, DNS, gossip and health
// checks) from one Config, starts them in dependency order and stops them
// in reverse. It is the only package besides cmd/roster that knows every
// other package; everything it adds is glue: adapters from one package's
// interface to another's, and the leader's reconcile loop.
package agent

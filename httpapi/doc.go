// Package httpapi serves roster's HTTP API in the shapes of Consul's v1 API
// (the subset roster implements), so existing Consul clients work.
//
// Handlers validate, delegate and map errors in one place (errors.go).
// Writes go through the Backend the package declares (the agent implements
// it over Raft) and return only after they are committed. Reads come from
// the local registry.Store after the read barrier of the request's
// consistency mode, and block (Consul's ?index=&wait=) on the store's watch
// channels: a blocked request costs one parked goroutine, nothing polls.
//
// A rejected request changes nothing: validation happens before a command
// is built, and the state machine rejects the rest atomically.
package httpapi

package gossip

import "errors"

// Errors returned by this package. Callers compare with errors.Is.
var (
	// ErrMetaTooLarge means the encoded metadata would not fit in
	// memberlist's limit (MaxMetaSize bytes).
	ErrMetaTooLarge = errors.New("node metadata too large")

	// ErrInvalidConfig wraps every Config and Meta validation failure.
	ErrInvalidConfig = errors.New("invalid gossip config")

	// ErrLeft is returned by operations that need a pool that has not left.
	// memberlist cannot rejoin after a leave: create a new Pool instead.
	ErrLeft = errors.New("gossip pool has left")

	// ErrShutdown is returned by operations on a pool that was shut down.
	ErrShutdown = errors.New("gossip pool is shut down")

	// ErrNoPeers is returned by Join and RetryJoin when no address was given.
	ErrNoPeers = errors.New("no addresses to join")
)

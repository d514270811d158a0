package registry

import "errors"

// Errors a rejected command returns as its Apply result. They survive the
// trip from the leader to a forwarding follower (see Result.MarshalBinary),
// so callers can always match them with errors.Is.
var (
	// ErrNodeNotFound: the command names a node that is not registered.
	ErrNodeNotFound = errors.New("node not found")
	// ErrServiceNotFound: the command names an instance that is not registered.
	ErrServiceNotFound = errors.New("service not found")
	// ErrCheckNotFound: the command names a check that is not registered.
	ErrCheckNotFound = errors.New("check not found")
	// ErrInvalidCommand: the command is well formed but asks for something
	// the state does not allow (for example a check on a missing service).
	ErrInvalidCommand = errors.New("invalid command")
)

// errorCodes maps sentinels to the stable codes used on the wire.
var errorCodes = []error{nil, ErrNodeNotFound, ErrServiceNotFound, ErrCheckNotFound, ErrInvalidCommand}

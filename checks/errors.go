package checks

import "errors"

// Errors returned by Manager.UpdateTTL. Match them with errors.Is.
var (
	// ErrUnknownCheck: no check with that ID runs on this agent.
	ErrUnknownCheck = errors.New("unknown check")
	// ErrNotTTL: the check exists but is not a TTL check, so its status
	// comes from its probe, not from the service.
	ErrNotTTL = errors.New("not a TTL check")
	// ErrInvalidStatus: the status is not passing, warning or critical.
	ErrInvalidStatus = errors.New("invalid status")
)

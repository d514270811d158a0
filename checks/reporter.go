package checks

import (
	"context"

	"github.com/rosterhq/roster/registry"
)

// Reporter writes check results into the replicated state. The agent
// implements it by committing commands through Raft (forwarded to the leader
// when needed).
//
// Threading: each check's runner calls the Reporter from its own goroutine,
// so calls for different checks are concurrent and calls for one check are
// sequential. A call may block for as long as a commit takes, but must return
// soon after ctx is done: Sync and Stop wait for runners to exit.
//
// Errors: any error makes the runner retry later with capped exponential
// backoff (Config.RetryMin to Config.RetryMax), always with the check's
// latest state; a call is never retried in a tight loop. Both calls must be
// idempotent, because a write whose commit was uncertain is retried.
type Reporter interface {
	// UpdateCheck records a check's status and output (a registry
	// UpdateCheck command). It is called only when something changed.
	UpdateCheck(ctx context.Context, checkID string, status registry.Health, output string) error
	// DeregisterService removes an instance whose check has been critical
	// for its DeregisterCriticalServiceAfter. Returning an error wrapping
	// registry.ErrServiceNotFound counts as done.
	DeregisterService(ctx context.Context, serviceID string) error
}

package agent

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/hashicorp/go-memdb"

	"github.com/rosterhq/roster/checks"
	"github.com/rosterhq/roster/httpapi"
	"github.com/rosterhq/roster/registry"
)

// checkRunner runs this node's health checks: it keeps the checks.Manager
// in step with the replicated set of the node's checks and writes their
// results through Raft.
type checkRunner struct {
	node    string
	store   *registry.Store
	apply   func(context.Context, registry.Command) (registry.Result, error)
	manager *checks.Manager

	// syncMu serialises Syncs, each from the latest state, so a Sync from
	// an older state never lands after one from a newer state.
	syncMu sync.Mutex
}

func newCheckRunner(a *Agent, b backend) *checkRunner {
	r := &checkRunner{node: a.cfg.NodeName, store: a.store, apply: b.applyRaw}
	cfg := checks.DefaultConfig()
	cfg.Logger = a.logger.With("component", "checks")
	cfg.EnableScriptChecks = a.cfg.EnableScriptChecks
	r.manager = checks.NewManager(cfg, reporter{r})
	return r
}

// sync hands the manager the node's current checks.
func (r *checkRunner) sync(ws memdb.WatchSet) {
	r.syncMu.Lock()
	defer r.syncMu.Unlock()
	_, list := r.store.NodeChecks(ws, r.node)
	r.manager.Sync(list)
}

// run re-syncs whenever this node's checks change, until ctx ends. Restart
// recovery is the first iteration: runners come back from replicated state.
func (r *checkRunner) run(ctx context.Context) {
	for {
		ws := memdb.NewWatchSet()
		r.sync(ws)
		if err := ws.WatchCtx(ctx); err != nil {
			return
		}
	}
}

func (r *checkRunner) stop() { r.manager.Stop() }

// touchesLocalChecks reports whether cmd changes this node's checks, so the
// API can sync runners before it answers: a TTL report sent right after the
// registration then finds its check.
func (r *checkRunner) touchesLocalChecks(cmd registry.Command) bool {
	switch c := cmd.(type) {
	case *registry.RegisterService:
		return c.Node.Name == r.node && (len(c.Checks) > 0 || c.ReplaceChecks)
	case *registry.DeregisterService:
		return c.Node == r.node
	case *registry.RegisterCheck:
		return c.Check.Node == r.node
	case *registry.DeregisterCheck:
		return c.Node == r.node
	}
	return false
}

func (r *checkRunner) updateTTL(id string, status registry.Health, output string) error {
	err := r.manager.UpdateTTL(id, status, output)
	switch {
	case errors.Is(err, checks.ErrUnknownCheck):
		if c := r.store.Check(r.node, id); c != nil && c.Type != registry.CheckTypeTTL {
			return fmt.Errorf("%w: check %q is a %s check, not a TTL check", httpapi.ErrBadRequest, id, c.Type)
		}
		return fmt.Errorf("%w: unknown check ID %q", httpapi.ErrNotFound, id)
	case errors.Is(err, checks.ErrNotTTL):
		return fmt.Errorf("%w: check %q is not a TTL check", httpapi.ErrBadRequest, id)
	case errors.Is(err, checks.ErrInvalidStatus):
		return fmt.Errorf("%w: %v", httpapi.ErrBadRequest, err)
	}
	return err
}

// reporter writes check results through Raft for the manager.
type reporter struct{ r *checkRunner }

// UpdateCheck writes a status change. A check deleted meanwhile is done:
// its runner is about to be removed.
func (p reporter) UpdateCheck(ctx context.Context, id string, status registry.Health, output string) error {
	res, err := p.r.apply(ctx, &registry.UpdateCheck{Node: p.r.node, CheckID: id, Status: status, Output: output})
	if err != nil {
		return err
	}
	if errors.Is(res.Err, registry.ErrCheckNotFound) {
		return nil
	}
	return res.Err
}

// DeregisterService removes an instance that stayed critical too long.
func (p reporter) DeregisterService(ctx context.Context, serviceID string) error {
	res, err := p.r.apply(ctx, &registry.DeregisterService{Node: p.r.node, ServiceID: serviceID})
	if err != nil {
		return err
	}
	return res.Err // ErrServiceNotFound counts as done for the manager
}

package checks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rosterhq/roster/registry"
)

// prober runs one kind of probe. A runner calls probe from its goroutine
// only, one call at a time, with a context that carries the probe's timeout;
// close releases what the prober holds (idle connections) when the runner
// stops.
type prober interface {
	probe(ctx context.Context) result
	close()
}

// runs reports whether the Manager runs checks of this type. Others (the
// node-liveness check, types of other tools) are left alone.
func runs(typ string) bool {
	switch typ {
	case registry.CheckTypeHTTP, registry.CheckTypeTCP, registry.CheckTypeTTL,
		registry.CheckTypeGRPC, registry.CheckTypeScript:
		return true
	}
	return false
}

// errScriptsDisabled is the output of an exec check on an agent that does
// not run them.
var errScriptsDisabled = errors.New("script checks are disabled on this agent (start it with --enable-script-checks)")

// newProber builds the prober for a check. It returns nil and no error for a
// TTL check, which has no probe, and an error (reported as the check's
// critical output) for a definition it cannot run.
func newProber(typ string, d *registry.CheckDefinition, timeout time.Duration, cfg *Config) (prober, error) {
	if typ != registry.CheckTypeTTL && d.Interval <= 0 {
		return nil, errors.New("invalid check: interval must be positive")
	}
	switch typ {
	case registry.CheckTypeTTL:
		if d.TTL <= 0 {
			return nil, errors.New("invalid check: ttl must be positive")
		}
		return nil, nil
	case registry.CheckTypeHTTP:
		return nonNil(newHTTPProbe(d, timeout))
	case registry.CheckTypeTCP:
		return nonNil(newTCPProbe(d.TCP, timeout))
	case registry.CheckTypeGRPC:
		return nonNil(newGRPCProbe(d, timeout))
	case registry.CheckTypeScript:
		if !cfg.EnableScriptChecks {
			return nil, errScriptsDisabled
		}
		return nonNil(newExecProbe(d.Args, timeout))
	}
	return nil, fmt.Errorf("invalid check: unknown type %q", typ)
}

// nonNil turns a constructor's typed nil into a nil prober on error.
func nonNil[P prober](p P, err error) (prober, error) {
	if err != nil {
		return nil, err
	}
	return p, nil
}

// probeTimeout is a definition's timeout: DefaultTimeout when unset, and never
// longer than the interval, so a slow probe cannot delay the next one.
func probeTimeout(d *registry.CheckDefinition) time.Duration {
	t := d.Timeout
	if t <= 0 {
		t = DefaultTimeout
	}
	if d.Interval > 0 && t > d.Interval {
		t = d.Interval
	}
	return t
}

// describe words a probe error, naming a timeout plainly instead of as
// "context deadline exceeded".
func describe(ctx context.Context, err error, timeout time.Duration) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("timed out after %s", timeout)
	}
	return err.Error()
}

package checks

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/rosterhq/roster/registry"
)

// runner runs one check in its own goroutine: it probes on schedule (or
// waits for TTL reports), folds results into its state with the pure
// functions of state.go, and writes what changed through the Reporter.
//
// The fields below the mailboxes are owned by the run goroutine.
type runner struct {
	id        string
	kind      string
	serviceID string
	def       registry.CheckDefinition
	th        thresholds
	timeout   time.Duration
	prober    prober // nil for TTL checks and for checks that cannot run
	broken    string // why the check cannot run; reported as critical
	cfg       *Config
	rep       Reporter
	log       *slog.Logger

	ttlBox *mailbox[result] // reports from Manager.UpdateTTL; nil unless TTL
	obsBox *mailbox[result] // replicated status and output seen by Sync

	// seed is the replicated status and output the runner starts from.
	seed result
	// observed is the last replicated status and output handed to obsBox
	// (or seeded). Owned by the Manager, under its sync lock.
	observed result

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	st            state
	nextProbe     time.Time // zero: no probe scheduled
	ttlDeadline   time.Time // zero: no TTL running (not TTL, or expired)
	lastTTLOutput string
	writeAt       time.Time // a coalesced output write is due then
	retryAt       time.Time // no write before then, after a failure
	writeBackoff  backoff
	criticalAt    time.Time // when the check last turned critical; zero if not critical
	deregAt       time.Time // next attempt to deregister the service; zero: none
	deregDone     bool
	deregBackoff  backoff
}

// newRunner prepares a runner for c; start runs it. The definition is copied,
// so the caller may reuse c.
func newRunner(c *registry.Check, cfg *Config, rep Reporter) *runner {
	def := c.Definition
	def.Header = maps.Clone(def.Header)
	for k, v := range def.Header {
		def.Header[k] = slices.Clone(v)
	}
	def.Args = slices.Clone(def.Args)

	r := &runner{
		id:           c.CheckID,
		kind:         c.Type,
		serviceID:    c.ServiceID,
		def:          def,
		th:           newThresholds(&def),
		timeout:      probeTimeout(&def),
		cfg:          cfg,
		rep:          rep,
		log:          cfg.Logger.With("check", c.CheckID, "type", c.Type),
		obsBox:       newMailbox[result](),
		seed:         result{Status: c.Status, Output: c.Output},
		observed:     result{Status: c.Status, Output: c.Output},
		done:         make(chan struct{}),
		writeBackoff: backoff{min: cfg.RetryMin, max: cfg.RetryMax},
		deregBackoff: backoff{min: cfg.RetryMin, max: cfg.RetryMax},
	}
	if c.Type == registry.CheckTypeTTL {
		r.ttlBox = newMailbox[result]()
	}
	if p, err := newProber(c.Type, &def, r.timeout, cfg); err != nil {
		r.broken = err.Error()
	} else {
		r.prober = p
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	return r
}

// sameSpec reports whether c describes the probe this runner runs, so that
// Sync can leave it alone. Status, output, name and notes do not matter.
func (r *runner) sameSpec(c *registry.Check) bool {
	return r.kind == c.Type && r.serviceID == c.ServiceID && r.def.Equal(&c.Definition)
}

// observe hands the runner the replicated status and output Sync saw, if
// they changed since the last time. Called by the Manager under its sync lock.
func (r *runner) observe(c *registry.Check) {
	o := result{Status: c.Status, Output: c.Output}
	if o != r.observed {
		r.observed = o
		r.obsBox.put(o)
	}
}

// start runs the runner's goroutine.
func (r *runner) start() { go r.run() }

func (r *runner) run() {
	defer close(r.done)
	if r.prober != nil {
		defer r.prober.close()
	}
	r.begin(time.Now())

	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		r.tick()
		if r.ctx.Err() != nil {
			return
		}
		var wake <-chan time.Time
		if at, ok := r.wake(); ok {
			timer.Reset(time.Until(at))
			wake = timer.C
		}
		select {
		case <-r.ctx.Done():
			return
		case <-wake:
		case <-r.ttlBox.wait():
			if v, ok := r.ttlBox.take(); ok {
				r.report(v, time.Now())
			}
		case <-r.obsBox.wait():
			if v, ok := r.obsBox.take(); ok {
				r.st = r.th.observe(r.st, v.Status, v.Output)
			}
		}
	}
}

// begin seeds the state from the replicated check and schedules the first
// probe (or the TTL), delayed by a random fraction of the interval.
func (r *runner) begin(now time.Time) {
	r.st = r.th.seed(r.seed.Status, r.seed.Output, now)
	switch {
	case r.broken != "":
		r.log.Warn("check cannot run", "reason", r.broken)
		r.setStatus(thresholds{}.apply(r.st, result{registry.HealthCritical, r.broken}))
	case r.prober != nil:
		f := min(max(r.cfg.Jitter(), 0), 1)
		r.nextProbe = now.Add(time.Duration(f * float64(r.def.Interval)))
	default: // TTL
		r.ttlDeadline = now.Add(r.def.TTL)
	}
}

// tick does whatever is due: a probe, a TTL expiry, a write, a deregistration.
func (r *runner) tick() {
	if r.prober != nil && !time.Now().Before(r.nextProbe) {
		r.probe()
	}
	if !r.ttlDeadline.IsZero() && !time.Now().Before(r.ttlDeadline) {
		r.expire()
	}
	r.write()
	r.deregister()
}

// wake returns the earliest time something is due.
func (r *runner) wake() (time.Time, bool) {
	var at time.Time
	for _, t := range []time.Time{r.nextProbe, r.ttlDeadline, r.writeAt, r.retryAt, r.deregAt} {
		if !t.IsZero() && (at.IsZero() || t.Before(at)) {
			at = t
		}
	}
	return at, !at.IsZero()
}

func (r *runner) probe() {
	ctx, cancel := context.WithTimeout(r.ctx, r.timeout)
	res := r.prober.probe(ctx)
	cancel()
	if r.ctx.Err() != nil {
		return // stopping: the result is of no use
	}
	r.setStatus(r.th.apply(r.st, res))
	// Keep the phase: the next probe is a whole number of intervals after
	// the first, skipping slots a slow probe or write overran.
	now := time.Now()
	r.nextProbe = r.nextProbe.Add(r.def.Interval)
	if !r.nextProbe.After(now) {
		missed := now.Sub(r.nextProbe)/r.def.Interval + 1
		r.nextProbe = r.nextProbe.Add(missed * r.def.Interval)
	}
}

// report applies a TTL report and restarts the TTL. A TTL check that cannot
// run (no TTL) stays critical with its reason.
func (r *runner) report(v result, now time.Time) {
	if r.broken != "" {
		return
	}
	r.lastTTLOutput = v.Output
	r.ttlDeadline = now.Add(r.def.TTL)
	r.setStatus(thresholds{}.apply(r.st, v))
}

// expire marks a TTL check critical when no report came within its TTL.
func (r *runner) expire() {
	r.ttlDeadline = time.Time{}
	out := "TTL expired"
	if r.lastTTLOutput != "" {
		out = clip(out+" (last output before timeout follows): "+r.lastTTLOutput, false)
	}
	r.setStatus(thresholds{}.apply(r.st, result{registry.HealthCritical, out}))
}

// setStatus installs a new state, logging a status change.
func (r *runner) setStatus(st state) {
	if st.Status != r.st.Status {
		level := slog.LevelWarn
		if st.Status == registry.HealthPassing {
			level = slog.LevelInfo
		}
		r.log.Log(r.ctx, level, "check status changed", "from", r.st.Status, "to", st.Status, "output", st.Output)
	}
	r.st = st
}

package checks

import (
	"errors"
	"time"

	"github.com/rosterhq/roster/registry"
)

// write makes the write the state needs, if it is due and no backoff holds it
// back.
func (r *runner) write() {
	r.writeAt = time.Time{}
	now := time.Now()
	if now.Before(r.retryAt) {
		return // wake at retryAt
	}
	r.retryAt = time.Time{}
	w, due, ok := pending(r.st, r.cfg.OutputInterval)
	if !ok {
		return
	}
	if now.Before(due) {
		r.writeAt = due
		return
	}
	err := r.rep.UpdateCheck(r.ctx, r.id, w.Status, w.Output)
	if r.ctx.Err() != nil {
		return
	}
	if err != nil {
		d := r.writeBackoff.next()
		r.retryAt = time.Now().Add(d)
		r.log.Warn("report check status", "status", w.Status, "retry_in", d, "err", err)
		return
	}
	r.writeBackoff.reset()
	r.st = r.st.wrote(w, time.Now())
}

// deregister removes the service once its check has been critical for
// DeregisterCriticalServiceAfter, measured on this agent's monotonic clock.
func (r *runner) deregister() {
	after := r.def.DeregisterCriticalServiceAfter
	if r.serviceID == "" || after <= 0 {
		return
	}
	now := time.Now()
	if r.st.Status != registry.HealthCritical {
		r.criticalAt, r.deregAt, r.deregDone = time.Time{}, time.Time{}, false
		r.deregBackoff.reset()
		return
	}
	if r.criticalAt.IsZero() {
		r.criticalAt = now
		r.deregAt = now.Add(after)
	}
	if r.deregDone || now.Before(r.deregAt) {
		return
	}
	err := r.rep.DeregisterService(r.ctx, r.serviceID)
	if r.ctx.Err() != nil {
		return
	}
	if err != nil && !errors.Is(err, registry.ErrServiceNotFound) {
		d := r.deregBackoff.next()
		r.deregAt = time.Now().Add(d)
		r.log.Warn("deregister critical service", "service", r.serviceID, "retry_in", d, "err", err)
		return
	}
	r.log.Info("deregistered critical service", "service", r.serviceID, "critical_for", now.Sub(r.criticalAt))
	r.deregDone, r.deregAt = true, time.Time{}
}

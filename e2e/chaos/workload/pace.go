package workload

import (
	"context"
	"time"
)

// paced calls op about rate times per second until ctx ends. op gets a
// context the end of the run does not cancel, so an operation in flight
// finishes and its outcome is recorded rather than cut off.
func paced(ctx context.Context, rate float64, op func(opCtx context.Context)) {
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	opCtx := context.WithoutCancel(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		op(opCtx)
	}
}

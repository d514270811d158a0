package workload

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"
)

// Services are the service names registrations use (and DNS asks for).
var Services = []string{"web", "api", "db"}

// regWorker registers instances with unique IDs on one node and
// deregisters some of those it registered, at about rate ops per second.
type regWorker struct {
	h       *History
	http    *http.Client
	node    int
	addr    string
	timeout time.Duration
	prefix  string // unique per run and worker
}

func (w *regWorker) register(ctx context.Context, id, service string) Outcome {
	body, _ := json.Marshal(map[string]any{"ID": id, "Name": service, "Port": 8080, "Tags": []string{"chaos"}})
	op := RegOp{Kind: Register, Node: w.node, ID: id, Service: service, Call: w.h.Now()}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	r := do(ctx, w.http, http.MethodPut, "http://"+w.addr+"/v1/agent/service/register", body)
	op.Outcome = r.writeOutcome()
	if op.Outcome != OK {
		op.Err = r.errText()
		if r.err == nil && r.status >= 400 && r.status < 500 {
			w.h.unexpectedf(fmt.Sprintf("register %s on n%d: %s", id, w.node+1, op.Err))
		}
	}
	op.Return = w.h.Now()
	w.h.addReg(op)
	return op.Outcome
}

func (w *regWorker) deregister(ctx context.Context, id, service string) Outcome {
	op := RegOp{Kind: Deregister, Node: w.node, ID: id, Service: service, Call: w.h.Now()}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	r := do(ctx, w.http, http.MethodPut, "http://"+w.addr+"/v1/agent/service/deregister/"+url.PathEscape(id), nil)
	op.Outcome = r.writeOutcome()
	if op.Outcome != OK {
		// 404 is expected now and then: the node's own replica may not
		// have applied the registration yet (it checks locally first).
		op.Err = r.errText()
	}
	op.Return = w.h.Now()
	w.h.addReg(op)
	return op.Outcome
}

// run registers (70%) and deregisters a random instance it registered
// (30%) until ctx ends.
func (w *regWorker) run(ctx context.Context, rate float64, rng *rand.Rand) {
	type inst struct{ id, service string }
	var mine []inst
	seq := 0
	paced(ctx, rate, func(opCtx context.Context) {
		if len(mine) > 0 && rng.Float64() < 0.3 {
			i := rng.IntN(len(mine))
			in := mine[i]
			if w.deregister(opCtx, in.id, in.service) != Fail {
				mine = append(mine[:i], mine[i+1:]...)
			}
			return
		}
		seq++
		in := inst{id: fmt.Sprintf("%s-%d", w.prefix, seq), service: Services[rng.IntN(len(Services))]}
		if w.register(opCtx, in.id, in.service) == OK {
			mine = append(mine, in)
		}
	})
}

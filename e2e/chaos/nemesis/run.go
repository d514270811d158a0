package nemesis

import (
	"context"
	"fmt"
	"time"

	"github.com/rosterhq/roster/e2e/chaos/netns"
)

// Target is what faults act on. Indexes are node indexes. Implementations
// are called from one goroutine at a time.
type Target interface {
	// Nodes is the number of nodes.
	Nodes() int
	// Leader returns the index of the node that leads now.
	Leader(ctx context.Context) (int, error)
	// Cut replaces the network's cuts with drops; Heal removes them all.
	Cut(drops []netns.Drop) error
	Heal() error
	// Kill sends SIGKILL; Restart starts the node again on its data dir
	// and returns once it answers.
	Kill(i int) error
	Restart(ctx context.Context, i int) error
	// Pause sends SIGSTOP, Resume SIGCONT.
	Pause(i int) error
	Resume(i int) error
}

// Event records what one fault did.
type Event struct {
	Fault Fault
	// Node is the node the fault hit (-1 for a split).
	Node      int
	Injected  time.Time
	Recovered time.Time
	Err       error
}

func (e Event) String() string {
	s := e.Fault.String()
	if e.Fault.Kind.TargetsLeader() {
		s += fmt.Sprintf(" -> n%d", e.Node+1)
	}
	if e.Err != nil {
		s += " FAILED: " + e.Err.Error()
	}
	return s
}

// Run injects faults at their start offsets from start and recovers each
// after its hold. Faults are sequential: one is always recovered before
// the next begins. It returns the events so far and the first error that
// means the harness itself broke (an iptables or signal failure, a node
// that does not come back). Recovery is attempted even then.
func Run(ctx context.Context, start time.Time, faults []Fault, t Target, logf func(string, ...any)) ([]Event, error) {
	var events []Event
	for _, f := range faults {
		if err := sleepUntil(ctx, start.Add(f.Start)); err != nil {
			return events, nil // cancelled: the run is over
		}
		ev := inject(ctx, f, t)
		logf("fault %s", ev)
		if ev.Err != nil {
			events = append(events, ev)
			return events, ev.Err
		}
		_ = sleepUntil(ctx, ev.Injected.Add(f.Hold))
		err := recoverFault(context.WithoutCancel(ctx), ev, t)
		ev.Recovered = time.Now()
		events = append(events, ev)
		if err != nil {
			return events, fmt.Errorf("recover from %s: %w", ev, err)
		}
		logf("recovered #%d after %.1fs", f.Seq, ev.Recovered.Sub(ev.Injected).Seconds())
		if ctx.Err() != nil {
			return events, nil
		}
	}
	return events, nil
}

// inject resolves the fault's target and applies it.
func inject(ctx context.Context, f Fault, t Target) Event {
	ev := Event{Fault: f, Node: f.Node}
	if f.Kind.TargetsLeader() {
		if l, err := t.Leader(ctx); err == nil {
			ev.Node = l
		}
	}
	ev.Injected = time.Now()
	switch f.Kind {
	case IsolateNode, IsolateLeader:
		ev.Err = t.Cut(netns.Isolate(ev.Node, t.Nodes()))
	case Split:
		ev.Node = -1
		ev.Err = t.Cut(netns.Partition(f.Minority, majority(f.Minority, t.Nodes())))
	case OneWay:
		ev.Err = t.Cut(oneWay(ev.Node, t.Nodes(), f.Deaf))
	case KillNode, KillLeader:
		ev.Err = t.Kill(ev.Node)
	case PauseNode, PauseLeader:
		ev.Err = t.Pause(ev.Node)
	default:
		ev.Err = fmt.Errorf("unknown fault kind %v", f.Kind)
	}
	return ev
}

func recoverFault(ctx context.Context, ev Event, t Target) error {
	switch ev.Fault.Kind {
	case KillNode, KillLeader:
		return t.Restart(ctx, ev.Node)
	case PauseNode, PauseLeader:
		return t.Resume(ev.Node)
	default:
		return t.Heal()
	}
}

func majority(minority []int, n int) []int {
	var out []int
	for i := 0; i < n; i++ {
		in := false
		for _, m := range minority {
			in = in || m == i
		}
		if !in {
			out = append(out, i)
		}
	}
	return out
}

// oneWay cuts every link into node i (deaf) or out of it (mute).
func oneWay(i, n int, deaf bool) []netns.Drop {
	var out []netns.Drop
	for j := 0; j < n; j++ {
		if j == i {
			continue
		}
		if deaf {
			out = append(out, netns.Drop{From: j, To: i})
		} else {
			out = append(out, netns.Drop{From: i, To: j})
		}
	}
	return out
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

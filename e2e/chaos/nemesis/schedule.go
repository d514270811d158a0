package nemesis

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// Kind is a kind of fault.
type Kind int

// The kinds. *Leader kinds aim at whichever node leads when the fault
// starts; the others at a node drawn from the seed.
const (
	IsolateNode   Kind = iota // cut one node off from all others, both ways
	IsolateLeader             // the same, aimed at the leader
	Split                     // majority | minority (2/1, 3/2), both ways
	OneWay                    // one node hears nobody (deaf) or nobody hears it (mute)
	KillNode                  // SIGKILL, restart on the same data dir after Hold
	KillLeader
	PauseNode // SIGSTOP, SIGCONT after Hold
	PauseLeader
	numKinds
)

var kindNames = [...]string{"isolate-node", "isolate-leader", "split", "one-way", "kill", "kill-leader", "pause", "pause-leader"}

func (k Kind) String() string {
	if k < 0 || k >= numKinds {
		return fmt.Sprintf("kind(%d)", int(k))
	}
	return kindNames[k]
}

// AllKinds lists every kind, in order.
func AllKinds() []Kind {
	out := make([]Kind, numKinds)
	for i := range out {
		out[i] = Kind(i)
	}
	return out
}

// TargetsLeader reports whether the fault is aimed at the leader.
func (k Kind) TargetsLeader() bool {
	return k == IsolateLeader || k == KillLeader || k == PauseLeader
}

// Fault is one scheduled fault: injected at Start (an offset from the
// schedule's start), recovered Hold later (heal, restart or resume).
type Fault struct {
	Seq   int
	Kind  Kind
	Start time.Duration
	Hold  time.Duration
	// Node is the target of node faults, and the fallback target of
	// leader faults when no leader is known.
	Node int
	// Minority is the small side of a Split.
	Minority []int
	// Deaf says which way a OneWay cuts: true, Node hears nobody; false,
	// nobody hears Node.
	Deaf bool
}

func (f Fault) String() string {
	s := fmt.Sprintf("#%d +%.1fs %s", f.Seq, f.Start.Seconds(), f.Kind)
	switch {
	case f.Kind == Split:
		s += fmt.Sprintf(" minority=%v", names(f.Minority))
	case f.Kind == OneWay && f.Deaf:
		s += fmt.Sprintf(" n%d deaf", f.Node+1)
	case f.Kind == OneWay:
		s += fmt.Sprintf(" n%d mute", f.Node+1)
	case f.Kind.TargetsLeader():
		s += fmt.Sprintf(" (else n%d)", f.Node+1)
	default:
		s += fmt.Sprintf(" n%d", f.Node+1)
	}
	return s + fmt.Sprintf(" for %.1fs", f.Hold.Seconds())
}

func names(idx []int) []string {
	out := make([]string, len(idx))
	for i, x := range idx {
		out[i] = fmt.Sprintf("n%d", x+1)
	}
	return out
}

// Config shapes a schedule.
type Config struct {
	Nodes  int
	Faults int
	// Hold is how long a fault lasts, Gap the quiet time after recovery;
	// each is drawn uniformly from [Min, Max].
	MinHold, MaxHold time.Duration
	MinGap, MaxGap   time.Duration
	// Kinds to draw from (all when empty). Every kind appears once before
	// any appears twice, so a short run still covers them all.
	Kinds []Kind
}

// DefaultConfig is the CI schedule: 24 faults of 1.5–4 s with 1–2.5 s gaps,
// about two minutes in all.
func DefaultConfig(nodes int) Config {
	return Config{
		Nodes: nodes, Faults: 24,
		MinHold: 1500 * time.Millisecond, MaxHold: 4 * time.Second,
		MinGap: time.Second, MaxGap: 2500 * time.Millisecond,
	}
}

// Schedule returns the faults for seed. It is a pure function: the same
// seed and config always give the same schedule.
func Schedule(seed uint64, cfg Config) []Fault {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	kinds := cfg.Kinds
	if len(kinds) == 0 {
		kinds = AllKinds()
	}
	var bag []Kind
	var out []Fault
	at := time.Duration(0)
	for i := 0; i < cfg.Faults; i++ {
		if len(bag) == 0 {
			bag = slices.Clone(kinds)
			rng.Shuffle(len(bag), func(a, b int) { bag[a], bag[b] = bag[b], bag[a] })
		}
		f := Fault{Seq: i + 1, Kind: bag[0], Start: at, Node: rng.IntN(cfg.Nodes)}
		bag = bag[1:]
		f.Hold = between(rng, cfg.MinHold, cfg.MaxHold)
		switch f.Kind {
		case Split:
			perm := rng.Perm(cfg.Nodes)
			f.Minority = perm[:(cfg.Nodes-1)/2]
			slices.Sort(f.Minority)
		case OneWay:
			f.Deaf = rng.IntN(2) == 0
		}
		out = append(out, f)
		at += f.Hold + between(rng, cfg.MinGap, cfg.MaxGap)
	}
	return out
}

func between(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	// Whole milliseconds, so printed schedules read back exactly.
	return lo + time.Duration(rng.Int64N(int64((hi-lo)/time.Millisecond)+1))*time.Millisecond
}

// Span is when the last fault of a schedule has been recovered.
func Span(faults []Fault) time.Duration {
	var end time.Duration
	for _, f := range faults {
		end = max(end, f.Start+f.Hold)
	}
	return end
}

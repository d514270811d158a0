package workload

import (
	"sync"
	"time"
)

// Outcome is what a client knows about an operation's effect.
type Outcome int

// The outcomes.
const (
	OK      Outcome = iota // acknowledged
	Fail                   // certainly not applied
	Unknown                // maybe applied
)

func (o Outcome) String() string { return [...]string{"ok", "fail", "unknown"}[o] }

// KVKind is a KV operation.
type KVKind int

// The KV operations.
const (
	Get KVKind = iota // GET ?consistent
	Put
	CAS // PUT ?cas=<ModifyIndex read before>
	Delete
)

func (k KVKind) String() string { return [...]string{"get", "put", "cas", "delete"}[k] }

// KVOp is one KV operation as a client saw it. Call and Return are offsets
// from the history's start on the monotonic clock.
type KVOp struct {
	Client int // porcupine client: a new one after every Unknown outcome
	Node   int
	Key    string
	Kind   KVKind
	// Value is what a put or CAS writes. Every value is unique in a run.
	Value string
	// Expect is the value a CAS expects (read just before; "" with
	// ExpectAbsent when the key was missing, sent as ?cas=0), CASIndex the
	// ModifyIndex sent.
	Expect       string
	ExpectAbsent bool
	CASIndex     uint64

	Outcome Outcome
	// Swapped is a CAS's answer (true/false).
	Swapped bool
	// Found and Read are a get's result.
	Found bool
	Read  string
	Index uint64 // the ModifyIndex a get returned
	Final bool   // one of the reads after the final heal

	Call, Return time.Duration
	Err          string
}

// RegKind is a catalog operation.
type RegKind int

// The catalog operations.
const (
	Register RegKind = iota
	Deregister
)

func (k RegKind) String() string { return [...]string{"register", "deregister"}[k] }

// RegOp is one registration or deregistration. Instances are registered
// on (and deregistered through) the node the request went to.
type RegOp struct {
	Kind    RegKind
	Node    int
	ID      string
	Service string
	Outcome Outcome

	Call, Return time.Duration
	Err          string
}

// DNSStats counts one node's DNS answers while it was live.
type DNSStats struct {
	Node      string
	Queries   int // counted queries (sent and answered or timed out while live)
	Good      int // NOERROR or NXDOMAIN in time
	ServFail  int
	Timeout   int
	OtherBad  int // other rcodes (REFUSED, FORMERR, ...) and socket errors
	Discarded int // spanned a kill/pause/restart: not counted either way
	// Failures keeps the first few failures, for the report.
	Failures []string
}

// Availability is Good/Queries (1 when nothing was counted).
func (s DNSStats) Availability() float64 {
	if s.Queries == 0 {
		return 1
	}
	return float64(s.Good) / float64(s.Queries)
}

// History collects operations from concurrent clients.
type History struct {
	start time.Time

	mu   sync.Mutex
	kv   []KVOp
	regs []RegOp
	dns  []DNSStats
	// errs counts requests that failed in ways the workload did not
	// expect (400s, undecodable bodies): a broken client, not a fault.
	unexpected []string
}

// NewHistory starts a history now, with one DNS counter per node.
func NewHistory(nodes []string) *History {
	h := &History{start: time.Now()}
	for _, n := range nodes {
		h.dns = append(h.dns, DNSStats{Node: n})
	}
	return h
}

// Now is the current offset from the history's start.
func (h *History) Now() time.Duration { return time.Since(h.start) }

// Start is when the history began.
func (h *History) Start() time.Time { return h.start }

func (h *History) addKV(op KVOp) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.kv = append(h.kv, op)
}

func (h *History) addReg(op RegOp) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.regs = append(h.regs, op)
}

func (h *History) dnsUpdate(node int, f func(*DNSStats)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f(&h.dns[node])
}

func (h *History) unexpectedf(s string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.unexpected) < 50 {
		h.unexpected = append(h.unexpected, s)
	}
}

// KV returns a copy of the KV operations.
func (h *History) KV() []KVOp {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]KVOp(nil), h.kv...)
}

// Regs returns a copy of the catalog operations.
func (h *History) Regs() []RegOp {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]RegOp(nil), h.regs...)
}

// DNS returns a copy of the per-node DNS counters.
func (h *History) DNS() []DNSStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]DNSStats, len(h.dns))
	for i, s := range h.dns {
		s.Failures = append([]string(nil), s.Failures...)
		out[i] = s
	}
	return out
}

// Unexpected lists requests that failed for reasons faults do not explain.
func (h *History) Unexpected() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.unexpected...)
}

// markFinal flags the reads that began at or after since as final reads.
func (h *History) markFinal(since time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range h.kv {
		if h.kv[i].Call >= since && h.kv[i].Kind == Get {
			h.kv[i].Final = true
		}
	}
}

// Counts tallies operations by kind and outcome, e.g. "put ok" -> 812.
func (h *History) Counts() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]int{}
	for _, op := range h.kv {
		kind := op.Kind.String()
		if op.Kind == CAS && op.Outcome == OK && !op.Swapped {
			kind = "cas-mismatch"
		}
		out[kind+" "+op.Outcome.String()]++
	}
	for _, op := range h.regs {
		out[op.Kind.String()+" "+op.Outcome.String()]++
	}
	for _, s := range h.dns {
		out["dns ok"] += s.Good
		out["dns fail"] += s.Queries - s.Good
	}
	return out
}

package gossip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// Pool is this node's membership in a gossip pool. Create it with New;
// every method is safe for concurrent use.
//
// Lifecycle: New (listening, alone) → Join/RetryJoin → … → Leave
// (optional, graceful) → Shutdown. A pool that has left cannot join again:
// create a new one.
type Pool struct {
	cfg   Config
	log   *slog.Logger
	ml    *memberlist.Memberlist
	del   *delegate
	table *table

	events   chan Event
	done     chan struct{} // closed by Shutdown
	pumpDone chan struct{} // closed when the pump has exited

	// life: operations that use ml hold it shared; Shutdown holds it
	// exclusively, so memberlist is never used after its shutdown (its
	// Leave panics then).
	life     sync.RWMutex
	shutdown bool        // under life
	left     atomic.Bool // Leave was called

	metaMu sync.Mutex // serializes UpdateMeta and Leave
	meta   Meta       // under metaMu

	// boot is random per Pool and advertised in the metadata: it tells
	// one run of a node from the next (see intent.go).
	boot uint64
}

// New validates cfg, binds the UDP and TCP listeners and starts gossiping
// as a pool of one. It does not contact anyone: call Join or RetryJoin.
func New(cfg Config) (*Pool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	timing, _ := cfg.timing() // valid: checked by Validate
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	p := &Pool{
		cfg:      cfg,
		log:      logger,
		table:    newTable(),
		events:   make(chan Event),
		done:     make(chan struct{}),
		pumpDone: make(chan struct{}),
		meta:     cfg.Meta,
	}
	p.boot = rand.Uint64()
	p.del = newDelegate(p.table, logger, p.boot, timing.RetransmitMult)
	p.del.setMeta(cfg.Meta)

	mc := memberlist.DefaultLANConfig()
	timing.apply(mc)
	mc.Name = cfg.NodeName
	mc.BindAddr = cfg.BindAddr
	mc.BindPort = cfg.BindPort
	mc.AdvertiseAddr = cfg.AdvertiseAddr
	mc.AdvertisePort = cfg.AdvertisePort
	if cfg.AdvertisePort == 0 {
		mc.AdvertisePort = cfg.BindPort // memberlist fills it in when BindPort is 0
	}
	mc.Delegate = p.del
	mc.Events = p.del
	mc.Conflict = p.del
	mc.Logger = newStdLogger(logger)
	switch {
	case cfg.NameReclaimDelay < 0:
		mc.DeadNodeReclaimTime = 0 // memberlist: never
	case cfg.NameReclaimDelay == 0:
		mc.DeadNodeReclaimTime = time.Nanosecond
	default:
		mc.DeadNodeReclaimTime = cfg.NameReclaimDelay
	}

	ml, err := memberlist.Create(mc)
	if err != nil {
		return nil, fmt.Errorf("start gossip on %s:%d: %w", cfg.BindAddr, cfg.BindPort, err)
	}
	p.ml = ml
	go p.pump()
	return p, nil
}

// Events returns the channel membership changes are delivered on. It is
// the same channel on every call, meant for one consumer, and is closed by
// Shutdown (changes not yet received are dropped). Not reading it never
// blocks gossip: undelivered changes coalesce per node (see doc.go). The
// first event is the local node's own EventJoin.
func (p *Pool) Events() <-chan Event { return p.events }

// Join contacts each address ("host:port", or "host" for this pool's
// port) and merges state with it. It returns how many were reached; the
// error is nil if at least one was. It blocks for up to the profile's TCP
// timeout per unreachable address.
func (p *Pool) Join(addrs []string) (int, error) {
	if len(addrs) == 0 {
		return 0, ErrNoPeers
	}
	p.life.RLock()
	defer p.life.RUnlock()
	if err := p.usableLocked(); err != nil {
		return 0, err
	}
	n, err := p.ml.Join(addrs)
	if err != nil {
		return n, &joinError{addrs: strings.Join(addrs, ","), err: err}
	}
	return n, nil
}

// RetryJoin calls Join every Config.RetryJoinInterval until it reaches at
// least one address, ctx ends, or the pool shuts down. Use
// context.WithTimeout for --retry-join-timeout. It blocks until then (an
// attempt in flight when ctx ends finishes first: up to the profile's TCP
// timeout per address); on giving up the error wraps ctx.Err() and the last
// Join error.
func (p *Pool) RetryJoin(ctx context.Context, addrs []string) (int, error) {
	timer := time.NewTimer(p.cfg.RetryJoinInterval)
	timer.Stop()
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("retry join: %w", err)
		}
		n, err := p.Join(addrs)
		if err == nil {
			return n, nil
		}
		if errors.Is(err, ErrShutdown) || errors.Is(err, ErrLeft) || errors.Is(err, ErrNoPeers) {
			return 0, err
		}
		p.log.Warn("join failed, will retry", "attempt", attempt, "in", p.cfg.RetryJoinInterval, "err", err)
		timer.Reset(p.cfg.RetryJoinInterval)
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("retry join: gave up after %d attempts: %w", attempt, errors.Join(ctx.Err(), err))
		case <-p.done:
			return 0, ErrShutdown
		case <-timer.C:
		}
	}
}

// Members returns every member this pool knows, itself included, sorted by
// name: up ones and failed or left ones not yet reaped. Non-blocking.
func (p *Pool) Members() []Member { return p.table.snapshot() }

// Member returns the named member as this pool sees it, if it knows it
// (up, failed or left and not yet reaped). Non-blocking.
func (p *Pool) Member(name string) (Member, bool) { return p.table.get(name) }

// LocalMember returns this node as the pool sees it; Addr and Port are the
// advertised gossip address (the real port when BindPort was 0).
func (p *Pool) LocalMember() Member {
	m, _ := p.table.get(p.cfg.NodeName) // present from New on
	return m
}

// HealthScore is memberlist's awareness score: 0 is healthy, higher means
// this node is missing its own probe deadlines (overloaded) and has slowed
// its probing down.
func (p *Pool) HealthScore() int { return p.ml.GetHealthScore() }

// UpdateMeta advertises new metadata. It blocks until the update has been
// gossiped or timeout passes (≤ 0: no limit); a timeout error means the
// update is applied locally and still spreading. Fails with ErrLeft after
// Leave and ErrShutdown after Shutdown.
func (p *Pool) UpdateMeta(m Meta, timeout time.Duration) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("update meta: %w", err)
	}
	p.life.RLock()
	defer p.life.RUnlock()
	if err := p.usableLocked(); err != nil {
		return err
	}
	p.metaMu.Lock()
	defer p.metaMu.Unlock()
	if p.left.Load() { // checked again under metaMu: Leave may have begun
		return ErrLeft
	}
	p.meta = m
	p.del.setMeta(m)
	if err := p.ml.UpdateNode(nonNegative(timeout)); err != nil {
		return fmt.Errorf("update meta: %w", err)
	}
	return nil
}

// Leave tells the pool this node is leaving on purpose, so the others
// record it as left rather than failed. It blocks until the leave has been
// gossiped or timeout passes (≤ 0: no limit). The pool keeps running until
// Shutdown, which the caller should call next. Calling it again is a no-op.
func (p *Pool) Leave(timeout time.Duration) error {
	p.life.RLock()
	defer p.life.RUnlock()
	if p.shutdown {
		return ErrShutdown
	}
	p.metaMu.Lock()
	already := p.left.Swap(true)
	p.metaMu.Unlock()
	if already {
		return nil
	}
	deadline := time.Now().Add(timeout)

	// First gossip the leave intent, then memberlist's leave (a dead
	// message about ourselves). Waiting for the intent's transmissions
	// makes it likely to arrive first; if it does not, the receiver turns
	// its failed verdict into left when it does arrive.
	sent := make(chan struct{})
	p.del.applyIntent(p.cfg.NodeName, p.boot, false)
	p.del.queue.QueueBroadcast(newIntentBroadcast(p.cfg.NodeName, p.boot, sent))
	var errs []error
	if p.table.numUp() > 1 {
		var expired <-chan time.Time
		if timeout > 0 {
			t := time.NewTimer(timeout / 2)
			defer t.Stop()
			expired = t.C
		}
		select {
		case <-sent:
		case <-expired:
			errs = append(errs, errors.New("timeout gossiping leave intent"))
		}
	}
	rest := time.Duration(0)
	if timeout > 0 {
		rest = max(time.Until(deadline), time.Millisecond)
	}
	if err := p.ml.Leave(rest); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("leave: %w", err)
	}
	return nil
}

// Shutdown stops gossip at once, without a leave message: the others will
// declare this node failed. Call Leave first for a graceful exit. It waits
// for in-flight Join, Leave and UpdateMeta calls, closes the Events channel
// and is safe to call more than once.
func (p *Pool) Shutdown() error {
	p.life.Lock()
	if p.shutdown {
		p.life.Unlock()
		return nil
	}
	p.shutdown = true
	p.del.stopped.Store(true)
	err := p.ml.Shutdown()
	close(p.done)
	p.life.Unlock()
	<-p.pumpDone
	if err != nil {
		return fmt.Errorf("shutdown gossip: %w", err)
	}
	return nil
}

// usableLocked reports why the pool cannot gossip, if it cannot. The caller
// holds p.life.
func (p *Pool) usableLocked() error {
	switch {
	case p.shutdown:
		return ErrShutdown
	case p.left.Load():
		return ErrLeft
	}
	return nil
}

func nonNegative(d time.Duration) time.Duration { return max(d, 0) }

// joinError puts memberlist's multi-line error list on one line.
type joinError struct {
	addrs string
	err   error
}

func (e *joinError) Error() string {
	msg := strings.TrimSpace(e.err.Error())
	// memberlist returns "N error(s) occurred:\n\t* a\n\t* b".
	if _, list, ok := strings.Cut(msg, "occurred:"); ok {
		msg = strings.Join(strings.Fields(strings.ReplaceAll(list, "\n\t* ", " | ")), " ")
		msg = strings.TrimPrefix(msg, "| ")
	}
	return "join " + e.addrs + ": " + msg
}

func (e *joinError) Unwrap() error { return e.err }

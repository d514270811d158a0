package registry

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-memdb"
)

// Store is the replicated state: an in-memory database of nodes, instances,
// checks and KV entries, changed only by Apply and Restore, plus the derived
// DNS view. All methods are safe for concurrent use; Apply and Restore must
// be called from one goroutine at a time (Raft's FSM goroutine does).
type Store struct {
	logger *slog.Logger
	db     atomic.Pointer[memdb.MemDB]

	// abandon is closed when Restore replaces the database, so blocking
	// queries watching channels of the old one wake up and re-read.
	abandonMu sync.Mutex
	abandon   chan struct{}

	// applied is the index of the last applied command; appliedCh is closed
	// and replaced after every apply so WaitForIndex can sleep on it.
	appliedMu sync.Mutex
	applied   uint64
	appliedCh chan struct{}

	view *view
}

// NewStore returns an empty store. A nil logger discards logs.
func NewStore(logger *slog.Logger) *Store {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	db, err := memdb.NewMemDB(schema())
	if err != nil {
		panic(fmt.Sprintf("registry: invalid schema: %v", err)) // a programming error
	}
	s := &Store{
		logger:    logger,
		abandon:   make(chan struct{}),
		appliedCh: make(chan struct{}),
		view:      newView(),
	}
	s.db.Store(db)
	return s
}

// Apply applies one encoded command committed at index and returns its
// result. It never fails on a valid command: a command the state does not
// allow is rejected through Result.Err with the state unchanged. Bytes that
// do not decode are log corruption and panic.
func (s *Store) Apply(index uint64, data []byte) Result {
	cmd, err := Decode(data)
	if err != nil {
		panic(fmt.Sprintf("registry: cannot apply log entry %d: %v", index, err))
	}
	return s.ApplyCommand(index, cmd)
}

// ApplyCommand applies a decoded command; see Apply.
func (s *Store) ApplyCommand(index uint64, cmd Command) Result {
	var ch changes
	res := s.applyOne(index, cmd, &ch)
	s.publish(index, &ch)
	return res
}

// Entry is one committed log entry for ApplyBatch.
type Entry struct {
	Index uint64
	Data  []byte
}

// ApplyBatch applies consecutive committed entries and returns one result
// each, as Apply would. Each command is its own transaction (a rejected one
// changes nothing), but the DNS view is refreshed and waiters are woken
// once for the whole batch, so a burst of writes costs one view update.
func (s *Store) ApplyBatch(entries []Entry) []Result {
	out := make([]Result, len(entries))
	var ch changes
	for i, e := range entries {
		cmd, err := Decode(e.Data)
		if err != nil {
			panic(fmt.Sprintf("registry: cannot apply log entry %d: %v", e.Index, err))
		}
		out[i] = s.applyOne(e.Index, cmd, &ch)
	}
	if len(entries) > 0 {
		s.publish(entries[len(entries)-1].Index, &ch)
	}
	return out
}

// changes accumulates what applied commands touched, for the DNS view.
type changes struct {
	instances map[string]map[instanceKey]struct{}
	nodes     map[string]struct{}
}

func (c *changes) add(w *writeTxn) {
	for svc, keys := range w.changed {
		if c.instances == nil {
			c.instances = map[string]map[instanceKey]struct{}{}
		}
		set := c.instances[svc]
		if set == nil {
			c.instances[svc] = keys
			continue
		}
		for k := range keys {
			set[k] = struct{}{}
		}
	}
	for n := range w.nodes {
		if c.nodes == nil {
			c.nodes = map[string]struct{}{}
		}
		c.nodes[n] = struct{}{}
	}
}

// publish refreshes the DNS view with what changed and records index as
// applied.
func (s *Store) publish(index uint64, ch *changes) {
	if len(ch.instances) > 0 || len(ch.nodes) > 0 {
		s.view.refresh(s.db.Load(), ch.instances, ch.nodes)
	}
	s.setApplied(index)
}

// applyOne applies one command in its own transaction and records what it
// touched in ch.
func (s *Store) applyOne(index uint64, cmd Command, ch *changes) Result {
	tx := s.db.Load().Txn(true)
	w := &writeTxn{Txn: tx, index: index}
	var res Result
	switch c := cmd.(type) {
	case *RegisterNode:
		res.Err = w.registerNode(c)
	case *DeregisterNode:
		res.Err = w.deregisterNode(c)
	case *RegisterService:
		res.Err = w.registerService(c)
	case *DeregisterService:
		res.Err = w.deregisterService(c)
	case *RegisterCheck:
		res.Err = w.registerCheck(c)
	case *DeregisterCheck:
		res.Err = w.deregisterCheck(c)
	case *UpdateCheck:
		res.Err = w.updateCheck(c)
	case *KV:
		res.OK, res.Err = w.kv(c)
	case *ReapTombstones:
		res.Err = w.reapTombstones(c)
	default:
		panic(fmt.Sprintf("registry: no apply for command %T", cmd))
	}
	res.Index = index
	if res.Err != nil {
		tx.Abort()
		return res
	}
	w.finish()
	if w.err != nil {
		// An internal index error on a valid command means the schema and
		// the code disagree: a bug that must not be papered over.
		panic(fmt.Sprintf("registry: apply %T at %d: %v", cmd, index, w.err))
	}
	tx.Commit()
	ch.add(w)
	return res
}

func (s *Store) setApplied(index uint64) {
	s.appliedMu.Lock()
	if index > s.applied {
		s.applied = index
	}
	close(s.appliedCh)
	s.appliedCh = make(chan struct{})
	s.appliedMu.Unlock()
}

// AppliedIndex returns the index of the last command applied.
func (s *Store) AppliedIndex() uint64 {
	s.appliedMu.Lock()
	defer s.appliedMu.Unlock()
	return s.applied
}

// WaitForIndex blocks until a command at index or later has been applied, or
// ctx ends.
func (s *Store) WaitForIndex(ctx context.Context, index uint64) error {
	for {
		s.appliedMu.Lock()
		applied, ch := s.applied, s.appliedCh
		s.appliedMu.Unlock()
		if applied >= index {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("wait for index %d (at %d): %w", index, applied, ctx.Err())
		}
	}
}

// ReadTxn is a consistent, point-in-time read of the state. It is cheap and
// never blocks writers; abandon it when done.
type ReadTxn struct {
	*memdb.Txn
	abandon <-chan struct{}
}

// Read opens a read transaction.
func (s *Store) Read() ReadTxn {
	s.abandonMu.Lock()
	ch := s.abandon
	s.abandonMu.Unlock()
	return ReadTxn{Txn: s.db.Load().Txn(false), abandon: ch}
}

// Watch adds the channel that fires when the whole state is replaced to ws.
// Every blocking query adds it.
func (r ReadTxn) Watch(ws memdb.WatchSet) {
	if ws != nil {
		ws.Add(r.abandon)
	}
}

// writeTxn is a write transaction plus what the command changed.
type writeTxn struct {
	*memdb.Txn
	index uint64
	// changed holds the instances the DNS view must recompute, by
	// lower-case service name; nodes the node records it must rebuild.
	changed map[string]map[instanceKey]struct{}
	nodes   map[string]struct{}
	// err records an unexpected database error; see ApplyCommand.
	err error
}

// touchInstance records that an instance of service name changed (was
// added, removed, or its health or node changed): the service's index moves
// and the DNS view recomputes just that instance.
func (w *writeTxn) touchInstance(service, node, id string) {
	if w.changed == nil {
		w.changed = map[string]map[instanceKey]struct{}{}
	}
	svc := lower(service)
	set := w.changed[svc]
	if set == nil {
		set = map[instanceKey]struct{}{}
		w.changed[svc] = set
	}
	set[instanceKey{node: lower(node), id: lower(id)}] = struct{}{}
}

// finish writes the per-service indexes of everything the command touched.
func (w *writeTxn) finish() {
	for svc := range w.changed {
		w.setIndex(serviceIndexPrefix + svc)
	}
}

func (w *writeTxn) touchNode(name string) {
	if w.nodes == nil {
		w.nodes = map[string]struct{}{}
	}
	w.nodes[lower(name)] = struct{}{}
}

// setIndex records that key changed at this command's index.
func (w *writeTxn) setIndex(key string) {
	w.fail(w.Insert(tableIndex, &indexEntry{Key: key, Value: w.index}))
}

func (w *writeTxn) fail(err error) {
	if err != nil && w.err == nil {
		w.err = err
	}
}

// maxIndex returns the largest index recorded for any of keys.
func maxIndex(tx *memdb.Txn, keys ...string) uint64 {
	var max uint64
	for _, k := range keys {
		raw, err := tx.First(tableIndex, "id", k)
		if err == nil && raw != nil {
			if v := raw.(*indexEntry).Value; v > max {
				max = v
			}
		}
	}
	return max
}

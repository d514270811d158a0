package consensus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"

	"github.com/rosterhq/roster/registry"
)

// Errors returned by Node. Callers map them to HTTP statuses at the edge.
var (
	// ErrNoLeader: no leader could be found within Config.LeaderWait. The
	// write was not applied.
	ErrNoLeader = errors.New("no cluster leader")
	// ErrUnknownOutcome: the write reached the leader but its fate is
	// unknown (leadership lost, timeout, connection cut). It may or may
	// not have been applied; retrying an idempotent write is safe.
	ErrUnknownOutcome = errors.New("write outcome unknown")
	// ErrShutdown: the node is shutting down.
	ErrShutdown = errors.New("raft is shutting down")
	// ErrNotLeader: a leader-only operation was asked of a follower.
	ErrNotLeader = errors.New("not the leader")
)

// errLocalNotLeader: this node is not the leader and did not append.
var errLocalNotLeader = errors.New("local node is not the leader")

// Node is one Raft server around a registry.Store. All methods are safe for
// concurrent use.
type Node struct {
	cfg    Config
	logger *slog.Logger
	store  *registry.Store

	raft      *raft.Raft
	transport *raft.NetworkTransport
	logStore  *raftboltdb.BoltStore
	mux       *mux
	pool      pool

	ctx    context.Context
	cancel context.CancelFunc

	// consistentReady is true once this node, as leader, has applied every
	// entry of earlier terms (a barrier after winning the election), so its
	// state may answer consistent reads.
	consistentReady atomic.Bool
	leaderCh        chan bool
	forwardConns    sync.WaitGroup
	wg              sync.WaitGroup
	shutdownOnce    sync.Once
}

// New opens (or creates) the Raft state in cfg.DataDir, listens on
// cfg.BindAddr and starts Raft. With cfg.BootstrapSelf, a node with no
// state bootstraps a one-server cluster of itself.
func New(cfg Config, store *registry.Store) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create raft data dir: %w", err)
	}
	n := &Node{cfg: cfg, logger: logger, store: store, leaderCh: make(chan bool, 1)}
	n.ctx, n.cancel = context.WithCancel(context.Background())

	ln, err := net.Listen("tcp", cfg.BindAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on raft address: %w", err)
	}
	advertise, err := advertiseAddr(cfg.AdvertiseAddr, ln.Addr())
	if err != nil {
		ln.Close()
		return nil, err
	}
	n.mux = newMux(ln, advertise)
	n.mux.forward = n.serveForward

	ok := false
	defer func() {
		if !ok {
			n.closeResources()
		}
	}()

	hclogger := NewHCLogger(logger, "raft")
	n.transport = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream:  streamLayer{n.mux},
		MaxPool: 3,
		Timeout: 10 * time.Second,
		Logger:  hclogger.Named("transport"),
	})
	n.logStore, err = raftboltdb.New(raftboltdb.Options{Path: filepath.Join(cfg.DataDir, "raft.db")})
	if err != nil {
		return nil, fmt.Errorf("open raft log: %w", err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(cfg.DataDir, max(cfg.SnapshotRetain, 1), hclogger.Named("snapshots"))
	if err != nil {
		return nil, fmt.Errorf("open snapshot store: %w", err)
	}

	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(cfg.ID)
	rc.Logger = hclogger
	rc.HeartbeatTimeout = cfg.HeartbeatTimeout
	rc.ElectionTimeout = cfg.ElectionTimeout
	rc.LeaderLeaseTimeout = cfg.LeaderLeaseTimeout
	rc.CommitTimeout = cfg.CommitTimeout
	rc.SnapshotThreshold = cfg.SnapshotThreshold
	rc.SnapshotInterval = cfg.SnapshotInterval
	rc.TrailingLogs = cfg.TrailingLogs

	existing, err := raft.HasExistingState(n.logStore, n.logStore, snaps)
	if err != nil {
		return nil, fmt.Errorf("inspect raft state: %w", err)
	}
	n.raft, err = raft.NewRaft(rc, fsm{n.store}, n.logStore, n.logStore, snaps, n.transport)
	if err != nil {
		return nil, fmt.Errorf("start raft: %w", err)
	}
	// Accept only now: a forwarded request that arrives while Raft is still
	// being built waits in the listen queue instead of finding no Raft.
	go n.mux.serve()
	if cfg.BootstrapSelf && !existing {
		logger.Info("bootstrapping a one-server cluster", "id", cfg.ID, "addr", advertise.String())
		if err := n.bootstrap([]Server{{ID: cfg.ID, Address: advertise.String()}}); err != nil {
			n.raft.Shutdown()
			return nil, err
		}
	}
	n.wg.Add(1)
	go n.watchLeadership()
	ok = true
	return n, nil
}

func advertiseAddr(advertise string, bound net.Addr) (net.Addr, error) {
	if advertise == "" {
		tcp := bound.(*net.TCPAddr)
		if tcp.IP.IsUnspecified() {
			return nil, errors.New("raft: an advertise address is required when binding to all interfaces")
		}
		return tcp, nil
	}
	addr, err := net.ResolveTCPAddr("tcp", advertise)
	if err != nil {
		return nil, fmt.Errorf("raft advertise address %q: %w", advertise, err)
	}
	if addr.Port == 0 {
		addr.Port = bound.(*net.TCPAddr).Port
	}
	return addr, nil
}

// Addr returns the address other servers reach this one at.
func (n *Node) Addr() string { return n.mux.advertise.String() }

// ID returns this server's Raft ID.
func (n *Node) ID() string { return n.cfg.ID }

// HasState reports whether this node has ever been part of a cluster (has
// a log, a term or a snapshot). Such a node must never bootstrap.
func (n *Node) HasState() bool {
	c := n.raft.GetConfiguration()
	return c.Error() == nil && len(c.Configuration().Servers) > 0
}

// watchLeadership reacts to leadership changes: as a new leader it first
// applies everything from earlier terms (a barrier) before it serves
// consistent reads, then tells the consumer of LeaderCh.
func (n *Node) watchLeadership() {
	defer n.wg.Done()
	for {
		select {
		case <-n.ctx.Done():
			return
		case leader := <-n.raft.LeaderCh():
			n.consistentReady.Store(false)
			if leader {
				if err := n.raft.Barrier(n.cfg.ApplyTimeout).Error(); err != nil {
					n.logger.Warn("barrier after election failed", "err", err)
					continue
				}
				n.consistentReady.Store(true)
				n.logger.Info("became leader", "id", n.cfg.ID)
			}
			n.publishLeadership(leader)
		}
	}
}

// publishLeadership hands the latest leadership state to LeaderCh's
// consumer, replacing a value it has not read yet.
func (n *Node) publishLeadership(leader bool) {
	for {
		select {
		case n.leaderCh <- leader:
			return
		default:
			select {
			case <-n.leaderCh:
			default:
			}
		}
	}
}

// LeaderCh delivers true when this node becomes leader (after it has caught
// up with earlier terms) and false when it stops being leader. Only the
// latest value is kept for a slow reader. There must be one reader.
func (n *Node) LeaderCh() <-chan bool { return n.leaderCh }

// IsLeader reports whether this node is the leader right now.
func (n *Node) IsLeader() bool { return n.raft.State() == raft.Leader }

// Leader returns the leader's Raft address and ID, empty when unknown.
func (n *Node) Leader() (addr, id string) {
	a, i := n.raft.LeaderWithID()
	return string(a), string(i)
}

// LastContact returns how long ago this node last heard from the leader;
// zero on the leader.
func (n *Node) LastContact() time.Duration {
	if n.IsLeader() {
		return 0
	}
	t := n.raft.LastContact()
	if t.IsZero() {
		return 0
	}
	return time.Since(t)
}

// Stats returns Raft's own counters (state, term, indexes...).
func (n *Node) Stats() map[string]string { return n.raft.Stats() }

// Shutdown stops Raft and closes the log and the listener. It is safe to
// call more than once.
func (n *Node) Shutdown() error {
	var err error
	n.shutdownOnce.Do(func() {
		n.cancel()
		if e := n.raft.Shutdown().Error(); e != nil {
			err = fmt.Errorf("shut down raft: %w", e)
		}
		n.wg.Wait()
		n.closeResources()
	})
	return err
}

func (n *Node) closeResources() {
	n.cancel()
	n.pool.shutdown()
	if n.transport != nil {
		n.transport.Close()
	}
	if n.mux != nil {
		n.mux.close()
	}
	if n.logStore != nil {
		n.logStore.Close()
	}
}

// fsm adapts the registry store to raft.FSM.
type fsm struct{ s *registry.Store }

func (f fsm) Apply(l *raft.Log) any { return f.s.Apply(l.Index, l.Data) }

// ApplyBatch implements raft.BatchingFSM: committed commands are applied
// together so the DNS view is refreshed once per batch. Configuration
// entries carry no command.
func (f fsm) ApplyBatch(logs []*raft.Log) []any {
	out := make([]any, len(logs))
	entries := make([]registry.Entry, 0, len(logs))
	pos := make([]int, 0, len(logs))
	for i, l := range logs {
		if l.Type == raft.LogCommand {
			entries = append(entries, registry.Entry{Index: l.Index, Data: l.Data})
			pos = append(pos, i)
		}
	}
	for j, res := range f.s.ApplyBatch(entries) {
		out[pos[j]] = res
	}
	return out
}

func (f fsm) Snapshot() (raft.FSMSnapshot, error) { return fsmSnapshot{f.s.Snapshot()}, nil }

func (f fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	return f.s.Restore(rc)
}

type fsmSnapshot struct{ s *registry.Snapshot }

func (f fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := f.s.WriteTo(sink); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (fsmSnapshot) Release() {}

package gossip

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitTimeout is generous: these tests run under -race on a busy 2-core
// machine, and timing targets are measured by tools/gossipbench, not here.
const waitTimeout = 30 * time.Second

func testLogger(name string) *slog.Logger {
	if !testing.Verbose() {
		return slog.New(slog.DiscardHandler)
	}
	h := slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})
	return slog.New(h).With("node", name)
}

func testConfig(name string) Config {
	c := DefaultConfig()
	c.NodeName = name
	c.BindAddr = "127.0.0.1"
	c.BindPort = 0
	c.Meta = testMeta(name)
	c.Logger = testLogger(name)
	c.RetryJoinInterval = 50 * time.Millisecond
	return c
}

// testNode is a pool plus a recorder of everything it delivered.
type testNode struct {
	name string
	pool *Pool

	mu     sync.Mutex
	events []Event
}

// newTestNode starts a pool on 127.0.0.1 with a free port and, if record is
// true, a goroutine that reads and records its events.
func newTestNode(t *testing.T, cfg Config, record bool) *testNode {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%s): %v", cfg.NodeName, err)
	}
	n := &testNode{name: cfg.NodeName, pool: p}
	t.Cleanup(func() { _ = p.Shutdown() })
	if record {
		n.record()
	}
	return n
}

// record starts reading the pool's events; it ends when Shutdown closes
// the channel.
func (n *testNode) record() {
	go func() {
		for ev := range n.pool.Events() {
			n.mu.Lock()
			n.events = append(n.events, ev)
			n.mu.Unlock()
		}
	}()
}

func (n *testNode) eventsCopy() []Event {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Event(nil), n.events...)
}

// newTestCluster starts size pools named n1..nN and joins them all to n1.
func newTestCluster(t *testing.T, size int) []*testNode {
	t.Helper()
	nodes := make([]*testNode, size)
	for i := range nodes {
		nodes[i] = newTestNode(t, testConfig(fmt.Sprintf("n%d", i+1)), true)
	}
	for _, n := range nodes[1:] {
		mustJoin(t, n, nodes[0])
	}
	for _, n := range nodes {
		for _, other := range nodes {
			waitStatus(t, n, other.name, StatusAlive)
		}
	}
	return nodes
}

func mustJoin(t *testing.T, n, to *testNode) {
	t.Helper()
	if _, err := n.pool.Join([]string{to.pool.LocalMember().Address()}); err != nil {
		t.Fatalf("%s join %s: %v", n.name, to.name, err)
	}
}

// waitFor polls cond until it holds or waitTimeout passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", waitTimeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func memberOf(n *testNode, name string) (Member, bool) {
	for _, m := range n.pool.Members() {
		if m.Name == name {
			return m, true
		}
	}
	return Member{}, false
}

// waitStatus waits until n's Members shows name with status st.
func waitStatus(t *testing.T, n *testNode, name string, st Status) Member {
	t.Helper()
	var m Member
	waitFor(t, fmt.Sprintf("%s to see %s %s", n.name, name, st), func() bool {
		var ok bool
		m, ok = memberOf(n, name)
		return ok && m.Status == st
	})
	return m
}

// waitEvent waits until n has recorded an event matching typ and name at
// or after index from, and returns its index.
func waitEvent(t *testing.T, n *testNode, from int, typ EventType, name string) int {
	t.Helper()
	idx := -1
	waitFor(t, fmt.Sprintf("%s to get %s %s", n.name, typ, name), func() bool {
		evs := n.eventsCopy()
		for i := from; i < len(evs); i++ {
			if evs[i].Type == typ && evs[i].Member.Name == name {
				idx = i
				return true
			}
		}
		return false
	})
	return idx
}

func (n *testNode) countEvents(typ EventType, name string) int {
	c := 0
	for _, ev := range n.eventsCopy() {
		if ev.Type == typ && ev.Member.Name == name {
			c++
		}
	}
	return c
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("atoi %q: %v", s, err)
	}
	return n
}

// logRecorder is a slog.Handler that keeps every record's level and message.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, rec.Level.String()+" "+rec.Message)
	return nil
}

// has reports whether a record at level starting with prefix was logged.
func (r *logRecorder) has(level slog.Level, prefix string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.msgs {
		if strings.HasPrefix(m, level.String()+" "+prefix) {
			return true
		}
	}
	return false
}

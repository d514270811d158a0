package gossip

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"
)

func TestClusterConvergesWithMeta(t *testing.T) {
	nodes := newTestCluster(t, 3)
	for _, n := range nodes {
		members := n.pool.Members()
		if len(members) != 3 {
			t.Fatalf("%s sees %d members, want 3: %v", n.name, len(members), members)
		}
		for i, m := range members {
			want := nodes[i]
			if m.Name != want.name || m.Meta != testMeta(want.name) || m.Status != StatusAlive {
				t.Fatalf("%s member %d = %+v, want %s alive with its meta", n.name, i, m, want.name)
			}
			if m.Address() != want.pool.LocalMember().Address() {
				t.Fatalf("%s sees %s at %s, it is at %s", n.name, m.Name, m.Address(), want.pool.LocalMember().Address())
			}
		}
		for _, other := range nodes {
			waitEvent(t, n, 0, EventJoin, other.name)
		}
	}
	if p := nodes[0].pool.LocalMember().Port; p == 0 {
		t.Fatalf("LocalMember port is 0 with BindPort 0; want the bound port")
	}
}

func TestGracefulLeaveIsLeft(t *testing.T) {
	nodes := newTestCluster(t, 3)
	leaver := nodes[2]
	if err := leaver.pool.Leave(5 * time.Second); err != nil {
		t.Fatalf("leave: %v", err)
	}
	if err := leaver.pool.Shutdown(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	for _, n := range nodes[:2] {
		m := waitStatus(t, n, leaver.name, StatusLeft)
		if m.Meta != testMeta(leaver.name) {
			t.Fatalf("left member lost its meta: %+v", m.Meta)
		}
		waitEvent(t, n, 0, EventLeft, leaver.name)
		if c := n.countEvents(EventFailed, leaver.name); c != 0 {
			t.Fatalf("%s got %d failed events for a graceful leave", n.name, c)
		}
	}
	if _, err := leaver.pool.Join([]string{"127.0.0.1:1"}); !errors.Is(err, ErrShutdown) {
		t.Fatalf("join after shutdown: err = %v, want ErrShutdown", err)
	}
}

func TestLeaveThenJoinFails(t *testing.T) {
	n := newTestNode(t, testConfig("solo"), true)
	if err := n.pool.Leave(time.Second); err != nil {
		t.Fatalf("leave alone: %v", err)
	}
	if err := n.pool.Leave(time.Second); err != nil {
		t.Fatalf("second leave: %v", err)
	}
	if _, err := n.pool.Join([]string{"127.0.0.1:1"}); !errors.Is(err, ErrLeft) {
		t.Fatalf("join after leave: err = %v, want ErrLeft", err)
	}
	if err := n.pool.UpdateMeta(testMeta("solo"), time.Second); !errors.Is(err, ErrLeft) {
		t.Fatalf("update meta after leave: err = %v, want ErrLeft", err)
	}
}

func TestKillIsFailedAndRestartRejoins(t *testing.T) {
	tests := []struct {
		name     string
		samePort bool
	}{
		{"same port", true},
		{"new port", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nodes := newTestCluster(t, 3)
			victim := nodes[2]
			oldPort := victim.pool.LocalMember().Port
			if err := victim.pool.Shutdown(); err != nil { // no Leave: a kill
				t.Fatalf("shutdown: %v", err)
			}
			marks := make([]int, 2)
			for i, n := range nodes[:2] {
				waitStatus(t, n, victim.name, StatusFailed)
				marks[i] = waitEvent(t, n, 0, EventFailed, victim.name)
				if c := n.countEvents(EventLeft, victim.name); c != 0 {
					t.Fatalf("%s got a left event for a kill", n.name)
				}
			}

			cfg := testConfig(victim.name)
			if tt.samePort {
				cfg.BindPort = int(oldPort)
			}
			back := newTestNode(t, cfg, true)
			mustJoin(t, back, nodes[0])
			for i, n := range nodes[:2] {
				m := waitStatus(t, n, victim.name, StatusAlive)
				if m.Port != back.pool.LocalMember().Port {
					t.Fatalf("%s sees %s on port %d, want %d", n.name, victim.name, m.Port, back.pool.LocalMember().Port)
				}
				waitEvent(t, n, marks[i], EventJoin, victim.name)
			}
			waitStatus(t, back, nodes[1].name, StatusAlive)
		})
	}
}

func TestMetaTooLarge(t *testing.T) {
	cfg := testConfig("big")
	cfg.Meta.Version = strings.Repeat("v", MaxMetaSize)
	p, err := New(cfg)
	if !errors.Is(err, ErrMetaTooLarge) {
		if p != nil {
			_ = p.Shutdown()
		}
		t.Fatalf("New with oversize meta: err = %v, want ErrMetaTooLarge", err)
	}
	if !strings.Contains(err.Error(), "512") {
		t.Fatalf("error %q does not state the limit", err)
	}

	n := newTestNode(t, testConfig("small"), true)
	err = n.pool.UpdateMeta(cfg.Meta, time.Second)
	if !errors.Is(err, ErrMetaTooLarge) {
		t.Fatalf("UpdateMeta with oversize meta: err = %v, want ErrMetaTooLarge", err)
	}
	if got := n.pool.LocalMember().Meta; got != testMeta("small") {
		t.Fatalf("rejected update changed local meta to %+v", got)
	}
}

func TestUpdateMetaSpreads(t *testing.T) {
	nodes := newTestCluster(t, 3)
	meta := testMeta("n1")
	meta.HTTPAddr = "127.0.0.1:9500"
	if err := nodes[0].pool.UpdateMeta(meta, 5*time.Second); err != nil {
		t.Fatalf("update meta: %v", err)
	}
	for _, n := range nodes {
		waitFor(t, n.name+" to see n1's new meta", func() bool {
			m, _ := memberOf(n, "n1")
			return m.Meta == meta
		})
		waitEvent(t, n, 0, EventUpdate, "n1")
	}
}

// A consumer that stops reading must not stall memberlist: the pools keep
// converging, and when reading resumes the backlog is the latest state per
// node.
func TestSlowConsumerDoesNotBlockGossip(t *testing.T) {
	n1 := newTestNode(t, testConfig("n1"), false) // nobody reads n1's events
	n2 := newTestNode(t, testConfig("n2"), true)
	mustJoin(t, n2, n1)
	waitStatus(t, n1, "n2", StatusAlive)

	// Churn: many nodes join, some update, some leave, some are killed,
	// one is killed and restarted.
	const churn = 8
	others := make([]*testNode, churn)
	for i := range others {
		others[i] = newTestNode(t, testConfig("c"+string(rune('a'+i))), true)
		mustJoin(t, others[i], n1)
	}
	for _, o := range others {
		waitStatus(t, n2, o.name, StatusAlive)
	}
	meta := testMeta("ca")
	meta.Version = "v2"
	if err := others[0].pool.UpdateMeta(meta, 5*time.Second); err != nil {
		t.Fatalf("update: %v", err)
	}
	for _, o := range others[1:3] {
		if err := o.pool.Leave(5 * time.Second); err != nil {
			t.Fatalf("leave: %v", err)
		}
		_ = o.pool.Shutdown()
	}
	for _, o := range others[3:6] {
		_ = o.pool.Shutdown()
	}
	restarted := others[6]
	_ = restarted.pool.Shutdown()
	waitStatus(t, n2, restarted.name, StatusFailed)
	back := newTestNode(t, testConfig(restarted.name), true)
	mustJoin(t, back, n2)

	want := map[string]Status{"n1": StatusAlive, "n2": StatusAlive, "ca": StatusAlive,
		"cb": StatusLeft, "cc": StatusLeft, "cd": StatusFailed, "ce": StatusFailed,
		"cf": StatusFailed, "cg": StatusAlive, "ch": StatusAlive}
	for name, st := range want {
		waitStatus(t, n1, name, st)
		waitStatus(t, n2, name, st)
	}
	// n1 was never declared failed: its memberlist kept answering probes.
	if c := n2.countEvents(EventFailed, "n1"); c != 0 {
		t.Fatalf("n2 saw n1 fail %d times while n1's consumer was stalled", c)
	}
	waitFor(t, "n1 to see ca's new meta", func() bool {
		m, _ := memberOf(n1, "ca")
		return m.Meta == meta
	})

	// Resume reading: one event per node, carrying its latest state.
	got := map[string]Event{}
	timeout := time.After(waitTimeout)
	for len(got) < len(want) {
		select {
		case ev := <-n1.pool.Events():
			if prev, dup := got[ev.Member.Name]; dup {
				t.Fatalf("node %s delivered twice after coalescing: %v then %v", ev.Member.Name, prev, ev)
			}
			got[ev.Member.Name] = ev
		case <-timeout:
			t.Fatalf("backlog incomplete after %s: %v", waitTimeout, got)
		}
	}
	for name, st := range want {
		ev := got[name]
		if ev.Member.Status != st {
			t.Fatalf("backlog for %s = %v, want status %s", name, ev, st)
		}
		wantType := map[Status]EventType{StatusAlive: EventJoin, StatusLeft: EventLeft, StatusFailed: EventFailed}[st]
		if ev.Type != wantType {
			t.Fatalf("backlog for %s = %v, want %s", name, ev, wantType)
		}
	}
	if got["ca"].Member.Meta != meta {
		t.Fatalf("backlog for ca has stale meta %+v", got["ca"].Member.Meta)
	}
}

func TestRetryJoin(t *testing.T) {
	t.Run("succeeds once the peer is up", func(t *testing.T) {
		port := freePort(t)
		joiner := newTestNode(t, testConfig("joiner"), true)
		errc := make(chan error, 1)
		go func() {
			_, err := joiner.pool.RetryJoin(context.Background(), []string{net.JoinHostPort("127.0.0.1", port)})
			errc <- err
		}()
		time.Sleep(300 * time.Millisecond) // a few failed attempts
		cfg := testConfig("seed")
		cfg.BindPort = mustAtoi(t, port)
		seed := newTestNode(t, cfg, true)
		select {
		case err := <-errc:
			if err != nil {
				t.Fatalf("retry join: %v", err)
			}
		case <-time.After(waitTimeout):
			t.Fatalf("retry join did not return")
		}
		waitStatus(t, seed, "joiner", StatusAlive)
	})
	t.Run("gives up at the deadline", func(t *testing.T) {
		joiner := newTestNode(t, testConfig("joiner"), true)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err := joiner.pool.RetryJoin(ctx, []string{net.JoinHostPort("127.0.0.1", freePort(t))})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want DeadlineExceeded", err)
		}
	})
	t.Run("stops at shutdown", func(t *testing.T) {
		joiner := newTestNode(t, testConfig("joiner"), true)
		errc := make(chan error, 1)
		go func() {
			_, err := joiner.pool.RetryJoin(context.Background(), []string{net.JoinHostPort("127.0.0.1", freePort(t))})
			errc <- err
		}()
		time.Sleep(100 * time.Millisecond)
		_ = joiner.pool.Shutdown()
		if err := <-errc; !errors.Is(err, ErrShutdown) {
			t.Fatalf("err = %v, want ErrShutdown", err)
		}
	})
}

func TestReapForgetsFailed(t *testing.T) {
	cfg := testConfig("n1")
	cfg.FailedRetention = 500 * time.Millisecond
	n1 := newTestNode(t, cfg, true)
	n2 := newTestNode(t, testConfig("n2"), true)
	mustJoin(t, n2, n1)
	waitStatus(t, n1, "n2", StatusAlive)
	_ = n2.pool.Shutdown()
	i := waitEvent(t, n1, 0, EventFailed, "n2")
	waitEvent(t, n1, i, EventReap, "n2")
	if _, ok := memberOf(n1, "n2"); ok {
		t.Fatalf("n2 still listed after reap")
	}
}

func TestShutdownClosesEvents(t *testing.T) {
	p, err := New(testConfig("solo"))
	if err != nil {
		t.Fatalf("new: %v", err)
	}
	ev := <-p.Events()
	if ev.Type != EventJoin || ev.Member.Name != "solo" {
		t.Fatalf("first event = %v, want join solo", ev)
	}
	if err := p.Shutdown(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if err := p.Shutdown(); err != nil {
		t.Fatalf("second shutdown: %v", err)
	}
	if _, open := <-p.Events(); open {
		t.Fatalf("events channel still open after shutdown")
	}
	if err := p.Leave(time.Second); !errors.Is(err, ErrShutdown) {
		t.Fatalf("leave after shutdown: err = %v, want ErrShutdown", err)
	}
}

// freePort returns a TCP port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

func TestNameConflictIsLoggedAndRejected(t *testing.T) {
	rec := &logRecorder{}
	cfg := testConfig("n1")
	cfg.Logger = slog.New(rec)
	n1 := newTestNode(t, cfg, true)
	n2 := newTestNode(t, testConfig("n2"), true)
	mustJoin(t, n2, n1)
	want := waitStatus(t, n1, "n2", StatusAlive)

	impostor := newTestNode(t, testConfig("n2"), true) // same name, other port
	_, _ = impostor.pool.Join([]string{n1.pool.LocalMember().Address()})
	waitFor(t, "n1 to log the name conflict", func() bool {
		return rec.has(slog.LevelError, "node name conflict")
	})
	if got, _ := memberOf(n1, "n2"); got.Address() != want.Address() || got.Status != StatusAlive {
		t.Fatalf("n1 sees n2 as %v after the conflict, want %v", got, want)
	}
}

func TestJoinErrorIsOneLine(t *testing.T) {
	n := newTestNode(t, testConfig("solo"), true)
	_, err := n.pool.Join([]string{net.JoinHostPort("127.0.0.1", freePort(t)), net.JoinHostPort("127.0.0.1", freePort(t))})
	if err == nil {
		t.Fatalf("join of closed ports succeeded")
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "join 127.0.0.1:") || strings.Count(msg, " | ") != 1 {
		t.Fatalf("join error %q: want one line, prefixed, two causes", msg)
	}
}

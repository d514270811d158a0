// Package agenttest starts real agents for tests: real Raft on disk in a
// temporary directory, real HTTP on 127.0.0.1 port 0.
package agenttest

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/rosterhq/roster/agent"
)

// Config returns an agent config for a test: loopback, port 0 everywhere,
// data in dir, fast Raft timings, logs only with -v.
func Config(t testing.TB, name, dir string) agent.Config {
	t.Helper()
	cfg := agent.DefaultConfig()
	cfg.NodeName = name
	cfg.DataDir = dir
	cfg.BindAddr = "127.0.0.1"
	cfg.RaftPort = 0
	cfg.GossipPort = 0
	cfg.RetryJoinTimeout = 20 * time.Second
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.DNSAddr = "127.0.0.1:0"
	cfg.Raft.HeartbeatTimeout = 250 * time.Millisecond
	cfg.Raft.ElectionTimeout = 250 * time.Millisecond
	cfg.Raft.LeaderLeaseTimeout = 125 * time.Millisecond
	cfg.Logger = Logger(t)
	return cfg
}

// Logger discards logs unless the test runs with -v.
func Logger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
	}
	return slog.New(slog.DiscardHandler)
}

// Start starts an agent, stops it when the test ends, and waits until it
// can take writes.
func Start(t testing.TB, cfg agent.Config) *agent.Agent {
	t.Helper()
	a, err := agent.Start(cfg)
	if err != nil {
		t.Fatalf("start agent %s: %v", cfg.NodeName, err)
	}
	t.Cleanup(func() { a.Stop() })
	WaitReady(t, a)
	return a
}

// WaitReady waits until the agent has a leader and its own node is in the
// catalog.
func WaitReady(t testing.TB, a *agent.Agent) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if addr, _ := a.Raft().Leader(); addr != "" && a.Store().Node(a.NodeName()) != nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			err := a.Raft().Barrier(ctx, 0)
			cancel()
			if err == nil {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("agent %s not ready", a.NodeName())
}

// StartNoWait starts an agent and stops it when the test ends, without
// waiting for it to take writes (for nodes that wait to be added).
func StartNoWait(t testing.TB, cfg agent.Config) *agent.Agent {
	t.Helper()
	a, err := agent.Start(cfg)
	if err != nil {
		t.Fatalf("start agent %s: %v", cfg.NodeName, err)
	}
	t.Cleanup(func() { a.Stop() })
	return a
}

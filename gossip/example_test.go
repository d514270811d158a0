package gossip_test

import (
	"context"
	"log/slog"
	"time"

	"github.com/rosterhq/roster/gossip"
)

// Example shows how an agent wires a Pool: metadata from its own listeners,
// --join with --retry-join-timeout, one goroutine applying events, and a
// graceful leave on shutdown. (Compiled, not run: it needs real peers.)
func Example() {
	cfg := gossip.DefaultConfig()
	cfg.NodeName = "n1"
	cfg.BindAddr = "127.0.0.1"
	cfg.BindPort = 8301
	cfg.Profile = gossip.ProfileFast // from --gossip-profile via gossip.ParseProfile
	cfg.Logger = slog.Default().With("component", "gossip")
	cfg.Meta = gossip.Meta{
		ID:       "2f6c1e0a-node-id",
		Role:     gossip.RoleServer,
		RaftAddr: "127.0.0.1:8300", // advertised addresses, host:port
		HTTPAddr: "127.0.0.1:8500",
		DNSAddr:  "127.0.0.1:8600",
		Version:  "v0.1.0",
	}
	pool, err := gossip.New(cfg)
	if err != nil {
		slog.Error("gossip", "err", err) // ErrInvalidConfig, ErrMetaTooLarge, bind errors
		return
	}

	go func() {
		for ev := range pool.Events() { // closed by Shutdown
			switch ev.Type {
			case gossip.EventJoin, gossip.EventUpdate:
				// node up (or changed): serve its instances; a server with
				// ev.Member.Meta.RaftAddr may be added as a voter
			case gossip.EventFailed:
				// hide its instances from DNS now; the leader records it
			case gossip.EventLeft:
				// remove its instances; the leader removes the voter
			case gossip.EventReap:
				// forget the node
			}
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // --retry-join-timeout
	defer cancel()
	if _, err := pool.RetryJoin(ctx, []string{"127.0.0.2:8301", "127.0.0.3"}); err != nil {
		slog.Error("join", "err", err)
	}

	for _, m := range pool.Members() { // roster members
		_ = m.Name + " " + m.Address() + " " + m.Status.String() + " " + string(m.Meta.Role)
	}

	_ = pool.Leave(5 * time.Second) // roster leave; others see StatusLeft
	_ = pool.Shutdown()
}

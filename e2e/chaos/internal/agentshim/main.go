// Command agentshim runs a roster agent (the real agent package, the code
// `roster agent` runs) with the cluster flags the chaos suite uses. It
// exists only while cmd/roster lacks --server, --bootstrap-expect, --join,
// --gossip-port and --gossip-profile: the suite builds cmd/roster first
// and falls back to this when those flags are missing. Delete it once the
// CLI has them.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rosterhq/roster/agent"
	"github.com/rosterhq/roster/gossip"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	if len(os.Args) < 2 || os.Args[1] != "agent" {
		fmt.Fprintln(os.Stderr, "usage: agentshim agent [flags]")
		os.Exit(64)
	}
	cfg := agent.DefaultConfig()
	fs := flag.NewFlagSet("agent", flag.ExitOnError)
	fs.StringVar(&cfg.NodeName, "node", "", "node name")
	fs.StringVar(&cfg.DataDir, "data-dir", "", "data directory")
	fs.BoolVar(&cfg.Server, "server", true, "Raft voter")
	fs.StringVar(&cfg.BindAddr, "bind", cfg.BindAddr, "bind IP")
	fs.StringVar(&cfg.AdvertiseAddr, "advertise", "", "advertise IP")
	fs.IntVar(&cfg.RaftPort, "raft-port", cfg.RaftPort, "Raft port")
	fs.IntVar(&cfg.GossipPort, "gossip-port", cfg.GossipPort, "gossip port")
	fs.StringVar(&cfg.HTTPAddr, "http-addr", cfg.HTTPAddr, "HTTP address")
	fs.StringVar(&cfg.DNSAddr, "dns-addr", cfg.DNSAddr, "DNS address")
	fs.IntVar(&cfg.DNS.MaxTCPConns, "dns-max-tcp-conns", cfg.DNS.MaxTCPConns, "DNS TCP connections")
	fs.IntVar(&cfg.BootstrapExpect, "bootstrap-expect", 0, "servers to bootstrap with")
	var join list
	fs.Var(&join, "join", "gossip address to join (repeatable)")
	fs.DurationVar(&cfg.RetryJoinTimeout, "retry-join-timeout", 0, "give up joining after")
	profile := fs.String("gossip-profile", string(cfg.GossipProfile), "lan, local or fast")
	fs.Uint64Var(&cfg.Raft.SnapshotThreshold, "raft-snapshot-threshold", cfg.Raft.SnapshotThreshold, "")
	fs.Uint64Var(&cfg.Raft.TrailingLogs, "raft-trailing-logs", cfg.Raft.TrailingLogs, "")
	level := fs.String("log-level", "info", "log level")
	fs.Bool("log-json", true, "JSON logs (always)")
	fs.Parse(os.Args[2:])
	cfg.Join = join
	cfg.GossipProfile = gossip.Profile(*profile)
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(64)
	}
	cfg.Logger = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	cfg.Version = "chaos-shim"

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	a, err := agent.Start(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "start agent:", err)
		os.Exit(1)
	}
	<-sigs
	done := make(chan error, 1)
	go func() { done <- a.Stop() }()
	select {
	case err = <-done:
	case <-sigs:
	case <-time.After(30 * time.Second):
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "stop agent:", err)
		os.Exit(1)
	}
}

package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/rosterhq/roster/agent"
	"github.com/rosterhq/roster/gossip"
)

// env names the environment variable of an agent flag: ROSTER_<FLAG>.
func env(flag string) []string {
	return []string{"ROSTER_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))}
}

func agentCommand() *cli.Command {
	def := agent.DefaultConfig()
	return &cli.Command{
		Name:  "agent",
		Usage: "run a roster agent",
		Description: "Runs a node: Raft-replicated registry and KV, the HTTP API and DNS.\n" +
			"   --dev runs a throwaway single node on loopback with data in a temporary directory.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dev", Usage: "single node on loopback, data in a temporary directory", EnvVars: env("dev")},
			&cli.StringFlag{Name: "node", Usage: "node name, unique in the cluster (default: host name)", EnvVars: env("node")},
			&cli.StringFlag{Name: "data-dir", Usage: "directory for the Raft log, snapshots and node ID", EnvVars: env("data-dir")},
			&cli.StringFlag{Name: "datacenter", Usage: "datacenter name reported by the API", Value: def.Datacenter, EnvVars: env("datacenter")},
			&cli.StringFlag{Name: "bind", Usage: "IP address the Raft and gossip ports listen on", Value: def.BindAddr, EnvVars: env("bind")},
			&cli.StringFlag{Name: "advertise", Usage: "IP address other nodes reach this one at (default: --bind)", EnvVars: env("advertise")},
			&cli.IntFlag{Name: "raft-port", Usage: "Raft port (also carries write forwarding)", Value: def.RaftPort, EnvVars: env("raft-port")},
			&cli.IntFlag{Name: "gossip-port", Usage: "gossip (memberlist) port, UDP and TCP", Value: def.GossipPort, EnvVars: env("gossip-port")},
			&cli.BoolFlag{Name: "server", Usage: "be a Raft voter (--server=false: a non-voting member with a full replica)", Value: def.Server, EnvVars: env("server")},
			&cli.IntFlag{Name: "bootstrap-expect", Usage: "bootstrap a new cluster once this many servers see each other", EnvVars: env("bootstrap-expect")},
			&cli.StringSliceFlag{Name: "join", Usage: "gossip address of a member to join (repeatable)", EnvVars: env("join")},
			&cli.DurationFlag{Name: "retry-join-timeout", Usage: "give up joining after this long (0: keep trying)", EnvVars: env("retry-join-timeout")},
			&cli.StringFlag{Name: "gossip-profile", Usage: "failure-detection timing: fast (loopback/LAN, ~1-2 s), local or lan (memberlist's)", Value: string(def.GossipProfile), EnvVars: env("gossip-profile")},
			&cli.StringFlag{Name: "http-addr", Usage: "HTTP API listen address", Value: def.HTTPAddr, EnvVars: env("http-addr")},
			&cli.IntFlag{Name: "http-max-conns-per-client", Usage: "most concurrent HTTP connections from one IP (0: no cap)", Value: def.HTTPMaxConnsPerClient, EnvVars: env("http-max-conns-per-client")},
			&cli.StringFlag{Name: "dns-addr", Usage: "DNS listen address, UDP and TCP (empty disables DNS)", Value: def.DNSAddr, EnvVars: env("dns-addr")},
			&cli.StringFlag{Name: "domain", Usage: "DNS domain roster is authoritative for", Value: def.DNS.Domain, EnvVars: env("domain")},
			&cli.DurationFlag{Name: "dns-service-ttl", Usage: "TTL of service answers", Value: def.DNS.ServiceTTL, EnvVars: env("dns-service-ttl")},
			&cli.DurationFlag{Name: "dns-node-ttl", Usage: "TTL of node answers", Value: def.DNS.NodeTTL, EnvVars: env("dns-node-ttl")},
			&cli.DurationFlag{Name: "dns-soa-min-ttl", Usage: "SOA minimum: how long NXDOMAIN/NODATA are cached", Value: def.DNS.NegativeTTL, EnvVars: env("dns-soa-min-ttl")},
			&cli.IntFlag{Name: "dns-udp-size", Usage: "largest UDP answer (EDNS0 buffers above it are capped)", Value: def.DNS.UDPSize, EnvVars: env("dns-udp-size")},
			&cli.IntFlag{Name: "dns-a-limit", Usage: "most A/AAAA records per answer (0: as many as fit)", Value: def.DNS.ALimit, EnvVars: env("dns-a-limit")},
			&cli.BoolFlag{Name: "dns-only-passing", Usage: "leave instances in warning out of DNS answers", EnvVars: env("dns-only-passing")},
			&cli.DurationFlag{Name: "dns-tcp-idle", Usage: "close a DNS TCP connection idle this long", Value: def.DNS.TCPIdleTimeout, EnvVars: env("dns-tcp-idle")},
			&cli.IntFlag{Name: "dns-max-tcp-conns", Usage: "most concurrent DNS TCP connections", Value: def.DNS.MaxTCPConns, EnvVars: env("dns-max-tcp-conns")},
			&cli.BoolFlag{Name: "enable-script-checks", Usage: "allow health checks that run programs (Args)", EnvVars: env("enable-script-checks")},
			&cli.Uint64Flag{Name: "raft-snapshot-threshold", Usage: "log entries between Raft snapshots", Value: def.Raft.SnapshotThreshold, EnvVars: env("raft-snapshot-threshold")},
			&cli.Uint64Flag{Name: "raft-trailing-logs", Usage: "log entries kept after a snapshot", Value: def.Raft.TrailingLogs, EnvVars: env("raft-trailing-logs")},
			&cli.StringFlag{Name: "log-level", Usage: "debug, info, warn or error", Value: "info", EnvVars: env("log-level")},
			&cli.BoolFlag{Name: "log-json", Usage: "log as JSON lines", EnvVars: env("log-json")},
		},
		Action: runAgent,
	}
}

func newLogger(w io.Writer, level string, asJSON bool) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fail(exitUsage, "--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if asJSON {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

// agentConfig builds the agent's Config from flags.
func agentConfig(c *cli.Context, logger *slog.Logger) (agent.Config, error) {
	cfg := agent.DefaultConfig()
	cfg.Dev = c.Bool("dev")
	cfg.NodeName = c.String("node")
	if cfg.NodeName == "" {
		host, err := os.Hostname()
		if err != nil {
			return cfg, fail(exitUsage, "--node is required (cannot read the host name: %v)", err)
		}
		cfg.NodeName = nodeNameFromHost(host)
	}
	cfg.DataDir = c.String("data-dir")
	if cfg.DataDir == "" && !cfg.Dev {
		return cfg, fail(exitUsage, "--data-dir is required (or use --dev for a throwaway node)")
	}
	cfg.Datacenter = c.String("datacenter")
	cfg.BindAddr = c.String("bind")
	cfg.AdvertiseAddr = c.String("advertise")
	cfg.RaftPort = c.Int("raft-port")
	cfg.GossipPort = c.Int("gossip-port")
	cfg.Server = c.Bool("server")
	cfg.BootstrapExpect = c.Int("bootstrap-expect")
	cfg.Join = c.StringSlice("join")
	cfg.RetryJoinTimeout = c.Duration("retry-join-timeout")
	cfg.GossipProfile = gossip.Profile(c.String("gossip-profile"))
	cfg.HTTPAddr = c.String("http-addr")
	cfg.DNSAddr = c.String("dns-addr")
	cfg.DNS.Domain = c.String("domain")
	cfg.DNS.ServiceTTL = c.Duration("dns-service-ttl")
	cfg.DNS.NodeTTL = c.Duration("dns-node-ttl")
	cfg.DNS.NegativeTTL = c.Duration("dns-soa-min-ttl")
	cfg.DNS.UDPSize = c.Int("dns-udp-size")
	cfg.DNS.ALimit = c.Int("dns-a-limit")
	cfg.DNS.OnlyPassing = c.Bool("dns-only-passing")
	cfg.DNS.MaxTCPConns = c.Int("dns-max-tcp-conns")
	cfg.DNS.TCPIdleTimeout = c.Duration("dns-tcp-idle")
	cfg.HTTPMaxConnsPerClient = c.Int("http-max-conns-per-client")
	cfg.EnableScriptChecks = c.Bool("enable-script-checks")
	cfg.Raft.SnapshotThreshold = c.Uint64("raft-snapshot-threshold")
	cfg.Raft.TrailingLogs = c.Uint64("raft-trailing-logs")
	cfg.Version = version
	cfg.Logger = logger
	if err := cfg.Validate(); err != nil {
		return cfg, fail(exitUsage, "%v", err)
	}
	return cfg, nil
}

func runAgent(c *cli.Context) error {
	if c.NArg() > 0 {
		return fail(exitUsage, "agent takes no arguments, got %q", c.Args().First())
	}
	logger, err := newLogger(c.App.ErrWriter, c.String("log-level"), c.Bool("log-json"))
	if err != nil {
		return err
	}
	cfg, err := agentConfig(c, logger)
	if err != nil {
		return err
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)

	a, err := agent.Start(cfg)
	if err != nil {
		return fail(exitError, "start agent: %v", err)
	}
	fmt.Fprintf(c.App.Writer, "roster agent %q running: HTTP on %s, DNS on %s, gossip on %s\n",
		cfg.NodeName, a.HTTPAddr(), a.DNSAddr(), a.GossipAddr())
	select {
	case sig := <-sigs:
		logger.Info("shutting down", "signal", sig.String())
	case <-a.Done():
		logger.Info("left the cluster; shutting down")
	}
	go func() {
		<-sigs
		logger.Warn("second signal: exiting without a clean shutdown")
		os.Exit(exitError)
	}()
	if err := a.Stop(); err != nil {
		return fail(exitError, "stop agent: %v", err)
	}
	return nil
}

// nodeNameFromHost turns a host name into a valid node name (a DNS label):
// the first label, other characters replaced by '-', at most 63 long.
func nodeNameFromHost(host string) string {
	first, _, _ := strings.Cut(host, ".")
	b := []byte(first)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '-'
		}
	}
	name := strings.Trim(string(b), "-")
	if len(name) > 63 {
		name = strings.TrimRight(name[:63], "-")
	}
	if name == "" {
		return "roster"
	}
	return name
}

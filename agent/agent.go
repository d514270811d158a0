package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"

	"github.com/rosterhq/roster/consensus"
	"github.com/rosterhq/roster/dnsserver"
	"github.com/rosterhq/roster/gossip"
	"github.com/rosterhq/roster/httpapi"
	"github.com/rosterhq/roster/registry"
)

// Agent is one running roster node.
type Agent struct {
	cfg    Config
	logger *slog.Logger
	nodeID string
	tmpDir string

	store  *registry.Store
	raft   *consensus.Node
	api    *httpapi.Server
	checks *checkRunner

	pool        *gossip.Pool
	reconcileCh chan struct{}
	leaveOnce   sync.Once
	left        chan struct{}

	httpLn  net.Listener
	httpSrv *http.Server
	dns     *dnsserver.Server
	dnsAddr string

	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	stopOnce sync.Once
	stopErr  error
}

// Start builds and starts an agent. On error everything started so far is
// stopped again.
func Start(cfg Config) (a *Agent, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a = &Agent{cfg: cfg, logger: logger.With("node", cfg.NodeName),
		reconcileCh: make(chan struct{}, 1), left: make(chan struct{})}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			a.Stop()
			a = nil
		}
	}()

	if cfg.DataDir == "" {
		a.tmpDir, err = os.MkdirTemp("", "roster-dev-")
		if err != nil {
			return a, fmt.Errorf("create dev data dir: %w", err)
		}
		a.cfg.DataDir = a.tmpDir
	}
	if err := os.MkdirAll(a.cfg.DataDir, 0o700); err != nil {
		return a, fmt.Errorf("create data dir: %w", err)
	}
	if a.nodeID, err = loadNodeID(a.cfg.DataDir); err != nil {
		return a, err
	}

	a.store = registry.NewStore(a.logger.With("component", "registry"))

	rc := cfg.Raft
	rc.ID = cfg.NodeName
	rc.DataDir = a.cfg.DataDir + "/raft"
	rc.BindAddr = net.JoinHostPort(cfg.BindAddr, strconv.Itoa(cfg.RaftPort))
	rc.AdvertiseAddr = net.JoinHostPort(cfg.advertiseIP(), strconv.Itoa(cfg.RaftPort))
	// Without --bootstrap-expect and --join, a server is its own cluster.
	rc.BootstrapSelf = cfg.Server && cfg.BootstrapExpect == 0 && len(cfg.Join) == 0
	rc.Logger = a.logger
	if a.raft, err = consensus.New(rc, a.store); err != nil {
		return a, err
	}

	b := backend{raft: a.raft}
	a.checks = newCheckRunner(a, b)
	b.checks = a.checks
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.checks.run(a.ctx)
	}()

	if err := a.startHTTP(b); err != nil {
		return a, err
	}
	if err := a.startDNS(); err != nil {
		return a, err
	}
	if err := a.startGossip(); err != nil {
		return a, err
	}
	if cfg.BootstrapExpect > 0 {
		a.wg.Add(1)
		go a.bootstrapWhenExpected()
	}
	if err := a.startJoin(); err != nil {
		return a, err
	}

	a.wg.Add(1)
	go a.runLeaderDuties()

	a.logger.Info("agent started", "http", a.HTTPAddr(), "dns", a.DNSAddr(), "raft", a.raft.Addr(),
		"gossip", a.GossipAddr(), "data_dir", a.cfg.DataDir)
	return a, nil
}

func (a *Agent) startHTTP(b backend) error {
	hc := httpapi.DefaultConfig()
	hc.NodeName = a.cfg.NodeName
	hc.NodeID = a.nodeID
	hc.NodeAddress = a.cfg.advertiseIP()
	hc.Datacenter = a.cfg.Datacenter
	hc.EnableScriptChecks = a.cfg.EnableScriptChecks
	hc.MinDeregisterCriticalAfter = a.cfg.MinDeregisterCriticalAfter
	hc.Version = a.cfg.Version
	hc.Logger = a.logger.With("component", "http")
	api, err := httpapi.New(hc, a.store, b, membership{a})
	if err != nil {
		return err
	}
	a.api = api
	ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on http address: %w", err)
	}
	a.httpLn = limitPerClient(ln, a.cfg.HTTPMaxConnsPerClient)
	a.httpSrv = newHTTPServer(api, a.logger)
	go func() {
		if err := a.httpSrv.Serve(a.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.logger.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// startDNS serves DNS from the local replica, when configured.
func (a *Agent) startDNS() error {
	if a.cfg.DNSAddr == "" {
		return nil
	}
	dc := a.cfg.DNS
	dc.NodeName = a.cfg.NodeName
	dc.Logger = a.logger.With("component", "dns")
	srv, err := dnsserver.New(dc, a.store)
	if err != nil {
		return err
	}
	pc, ln, err := dnsserver.Listen(a.cfg.DNSAddr)
	if err != nil {
		return fmt.Errorf("listen on dns address: %w", err)
	}
	if err := srv.Start(pc, ln); err != nil {
		return fmt.Errorf("start dns: %w", err)
	}
	a.dns, a.dnsAddr = srv, pc.LocalAddr().String()
	return nil
}

// startJoin joins the --join addresses: within Start when the attempts are
// bounded by RetryJoinTimeout (failure fails Start), in the background when
// they are not (retrying until the agent stops).
func (a *Agent) startJoin() error {
	if len(a.cfg.Join) == 0 {
		return nil
	}
	if a.cfg.RetryJoinTimeout > 0 {
		return a.joinCluster()
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := a.joinCluster(); err != nil && a.ctx.Err() == nil {
			a.logger.Error("join failed", "err", err)
		}
	}()
	return nil
}

// DNSAddr returns the address DNS listens on (UDP and TCP), or "".
func (a *Agent) DNSAddr() string { return a.dnsAddr }

// HTTPAddr returns the address the API listens on.
func (a *Agent) HTTPAddr() string {
	if a.httpLn == nil {
		return ""
	}
	return a.httpLn.Addr().String()
}

// RaftAddr returns the Raft address other servers use.
func (a *Agent) RaftAddr() string { return a.raft.Addr() }

// NodeName returns the agent's node name.
func (a *Agent) NodeName() string { return a.cfg.NodeName }

// Store returns the agent's local replica (for tests and embedding).
func (a *Agent) Store() *registry.Store { return a.store }

// Raft returns the agent's Raft node (for tests and embedding).
func (a *Agent) Raft() *consensus.Node { return a.raft }

// Stop shuts the agent down: HTTP first (in-flight requests get a grace
// period), then leader duties, then Raft. It is safe to call twice.
func (a *Agent) Stop() error {
	a.stopOnce.Do(func() {
		var errs []error
		a.cancel()
		if a.api != nil {
			a.api.StopBlocking()
		}
		if a.httpSrv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
			if err := a.httpSrv.Shutdown(ctx); err != nil {
				a.httpSrv.Close()
			}
			cancel()
		} else if a.httpLn != nil {
			a.httpLn.Close()
		}
		if a.dns != nil {
			ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
			if err := a.dns.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("stop dns: %w", err))
			}
			cancel()
		}
		a.wg.Wait()
		if a.checks != nil {
			a.checks.stop()
		}
		if a.pool != nil {
			if err := a.pool.Shutdown(); err != nil {
				errs = append(errs, fmt.Errorf("stop gossip: %w", err))
			}
		}
		if a.raft != nil {
			if err := a.raft.Shutdown(); err != nil {
				errs = append(errs, err)
			}
		}
		if a.tmpDir != "" {
			if err := os.RemoveAll(a.tmpDir); err != nil {
				errs = append(errs, fmt.Errorf("remove dev data dir: %w", err))
			}
		}
		a.stopErr = errors.Join(errs...)
		a.logger.Info("agent stopped")
	})
	return a.stopErr
}

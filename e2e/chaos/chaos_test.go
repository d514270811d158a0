package chaos

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rosterhq/roster/e2e/chaos/checker"
	"github.com/rosterhq/roster/e2e/chaos/cluster"
	"github.com/rosterhq/roster/e2e/chaos/nemesis"
	"github.com/rosterhq/roster/e2e/chaos/workload"
)

// warmUp is how long the workload runs before the first fault.
const warmUp = 3 * time.Second

// requireChaos skips unless the suite is enabled, and fails when it is
// enabled without the privileges it needs.
func requireChaos(t *testing.T) {
	t.Helper()
	if os.Getenv("ROSTER_CHAOS") != "1" {
		t.Skip("fault-injection suite: run `make chaos` (or ROSTER_CHAOS=1 go test ./e2e/chaos/ as root)")
	}
	if os.Geteuid() != 0 {
		t.Fatal("ROSTER_CHAOS=1 needs root: it creates network namespaces and iptables rules")
	}
}

// runDir returns the directory for logs and data, removed after a pass
// unless the user chose it.
func runDir(t *testing.T, opts Options) string {
	t.Helper()
	if opts.Dir != "" {
		if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return opts.Dir
	}
	dir, err := os.MkdirTemp("", "roster-chaos-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			os.RemoveAll(dir)
		}
	})
	return dir
}

// startCluster builds (unless given) the binary and starts the agents,
// with cleanup on test end and on SIGINT/SIGTERM.
func startCluster(t *testing.T, ctx context.Context, opts Options, dir string) *cluster.Cluster {
	t.Helper()
	bin := opts.Binary
	if bin == "" {
		var err error
		if bin, err = cluster.Build(ctx, dir); err != nil {
			t.Fatal(err)
		}
	}
	c, err := cluster.Start(ctx, cluster.Options{
		Binary: bin, Nodes: opts.Nodes, Dir: dir, GossipProfile: opts.Gossip,
		// Small, so runs cross snapshot boundaries and restarted
		// followers catch up by snapshot install as well as by log.
		SnapshotThreshold: 512, TrailingLogs: 256,
	})
	if err != nil {
		t.Fatalf("start cluster (logs in %s): %v", dir, err)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	stopped := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			fmt.Fprintf(os.Stderr, "chaos: %v: tearing down the cluster\n", sig)
			c.Close()
			os.Exit(2)
		case <-stopped:
		}
	}()
	t.Cleanup(func() {
		signal.Stop(sigs)
		close(stopped)
		if err := c.Close(); err != nil {
			t.Errorf("tear down: %v", err)
		}
	})
	return c
}

// TestChaos is the fault-injection run: see the package comment and
// Options for the knobs.
func TestChaos(t *testing.T) {
	requireChaos(t)
	opts, err := optionsFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("chaos: seed %d (replay with ROSTER_CHAOS_SEED=%d)\n", opts.Seed, opts.Seed)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Hour)
	defer cancel()
	dir := runDir(t, opts)
	c := startCluster(t, ctx, opts, dir)
	runID := c.Net.ID

	schedCfg := nemesis.DefaultConfig(opts.Nodes)
	schedCfg.Faults = opts.Faults
	if opts.Long {
		schedCfg.MaxHold, schedCfg.MaxGap = 8*time.Second, 4*time.Second
	}
	faults := nemesis.Schedule(opts.Seed, schedCfg)
	fmt.Printf("chaos: %d faults over %.0fs:\n", len(faults), nemesis.Span(faults).Seconds())
	for _, f := range faults {
		fmt.Printf("  %s\n", f)
	}

	wcfg := workload.DefaultConfig(workloadTargets(c), runID, opts.Seed)
	wcfg.Shared = c.Clustered()
	wl := workload.Start(wcfg)
	sr := newStateReader(runID)
	mon := newMonitor(c, sr)
	monCtx, stopMon := context.WithCancel(ctx)
	monDone := make(chan struct{})
	go func() { defer close(monDone); mon.run(monCtx, 250*time.Millisecond) }()

	time.Sleep(warmUp) // load before the first fault; not an assertion
	events, nemErr := nemesis.Run(ctx, time.Now(), faults, target{c}, func(format string, args ...any) {
		fmt.Printf("chaos: %6.1fs "+format+"\n", append([]any{wl.History().Now().Seconds()}, args...)...)
	})
	crashed, healErr := healAll(ctx, c)
	healed := time.Now()
	wl.Stop()
	stopMon()
	<-monDone
	if nemErr != nil || healErr != nil {
		t.Errorf("fault injection: %v; final heal: %v", nemErr, healErr)
	}

	rep := &report{Seed: opts.Seed, Nodes: opts.Nodes, Features: c.Features.String(), Dir: dir,
		Faults: events, Workload: wl.History().Now(), Crashed: crashed, Standalone: !c.Clustered()}
	var states []checker.NodeState
	if c.Clustered() {
		states, rep.Converged, rep.ConvErr = sr.awaitConvergence(ctx, c, healed, maxConvergence)
	} else {
		states, rep.ConvErr = sr.readAll(ctx, c)
		rep.Converged = time.Since(healed)
	}
	wl.FinalReads(ctx)

	h := wl.History()
	rep.Counts, rep.Unexpected = h.Counts(), h.Unexpected()
	for i, s := range h.DNS() {
		if c.Nodes[i].DNSAddr != "" {
			rep.DNS = append(rep.DNS, s)
		}
	}
	names := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		names[i] = n.Name
	}
	rep.Lin, err = checker.CheckLinearizable(h.KV(), names, opts.CheckTime, filepath.Join(dir, "linearizability.html"))
	if err != nil {
		t.Errorf("linearizability check: %v", err)
	}
	rep.Lost = checkLost(h.Regs(), states, c.Clustered())
	rep.LogTerms = readTerms(t, c)
	rep.PollTerms, rep.PollOK, rep.PollSamples = mon.result()
	if !c.Clustered() {
		// Separate one-node clusters share term numbers by design.
		rep.LogTerms, rep.PollTerms = checker.Terms{}, checker.Terms{}
	}

	out := rep.String()
	fmt.Print(out)
	if err := os.WriteFile(filepath.Join(dir, "report.txt"), []byte(out), 0o644); err != nil {
		t.Error(err)
	}
	if fails := rep.failures(); len(fails) > 0 {
		t.Errorf("%d checks failed (seed %d, logs in %s)", len(fails), opts.Seed, dir)
	}
}

// checkLost runs the registration check on every node's catalog. Agents
// that are each their own cluster hold only their own registrations.
func checkLost(regs []workload.RegOp, states []checker.NodeState, clustered bool) checker.LostWrites {
	catalogs := func(sts []checker.NodeState) map[string]checker.Catalog {
		out := map[string]checker.Catalog{}
		for _, s := range sts {
			cat := checker.Catalog{}
			for id, v := range s.Instances {
				cat[id] = v
			}
			out[s.Node] = cat
		}
		return out
	}
	if clustered {
		return checker.CheckRegistrations(regs, catalogs(states))
	}
	var total checker.LostWrites
	for i, s := range states {
		var mine []workload.RegOp
		for _, op := range regs {
			if op.Node == i {
				mine = append(mine, op)
			}
		}
		r := checker.CheckRegistrations(mine, catalogs([]checker.NodeState{s}))
		total.Lost = append(total.Lost, r.Lost...)
		total.Resurrected = append(total.Resurrected, r.Resurrected...)
		total.Checked += r.Checked
	}
	return total
}

// readTerms collects every node's won elections from its log.
func readTerms(t *testing.T, c *cluster.Cluster) checker.Terms {
	terms := checker.Terms{}
	for _, n := range c.Nodes {
		f, err := os.Open(n.LogPath)
		if err != nil {
			t.Errorf("read %s's log: %v", n.Name, err)
			continue
		}
		if _, err := checker.ReadElections(terms, n.Name, f); err != nil {
			t.Errorf("read %s's log: %v", n.Name, err)
		}
		f.Close()
	}
	return terms
}

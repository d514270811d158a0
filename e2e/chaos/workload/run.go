package workload

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Target is one node as the workload sees it.
type Target struct {
	Name     string
	HTTPAddr string
	DNSAddr  string // "" when the node serves no DNS
	// Live reports whether the node is running, with an epoch that
	// changes whenever that changes (see cluster.Node.Live).
	Live func() (bool, uint64)
}

// Config shapes the load.
type Config struct {
	Targets []Target
	// RunID makes values, keys and instance IDs unique to the run.
	RunID string
	Seed  uint64
	// Keys is the number of KV keys; Shared means every client may use
	// every key (one cluster). Without it each node gets its own keys,
	// for agents that are each their own cluster.
	Keys   int
	Shared bool

	KVWorkersPerNode  int
	KVRate            float64 // per worker, ops/s (a CAS counts as two)
	RegWorkersPerNode int
	RegRate           float64 // per worker
	DNSRate           float64 // per node, queries/s
	Domain            string  // DNS domain with a trailing dot

	OpTimeout  time.Duration
	DNSTimeout time.Duration
}

// DefaultConfig is the CI load: about 60 KV, 12 catalog and 45 DNS
// operations per second across three healthy nodes.
func DefaultConfig(targets []Target, runID string, seed uint64) Config {
	return Config{
		Targets: targets, RunID: runID, Seed: seed,
		Keys: 6, Shared: true,
		KVWorkersPerNode: 4, KVRate: 5,
		RegWorkersPerNode: 1, RegRate: 4,
		DNSRate: 15, Domain: "roster.",
		OpTimeout:  10 * time.Second,
		DNSTimeout: time.Second,
	}
}

// KeyName is the KV key number i of a run (node is used without sharing).
func KeyName(runID string, node string, i int, shared bool) string {
	if shared {
		return fmt.Sprintf("chaos/%s/k%d", runID, i)
	}
	return fmt.Sprintf("chaos/%s/%s/k%d", runID, node, i)
}

// Keys lists the keys clients of node use.
func (c Config) KeysOf(node int) []string {
	var out []string
	for i := 0; i < c.Keys; i++ {
		out = append(out, KeyName(c.RunID, c.Targets[node].Name, i, c.Shared))
	}
	return out
}

// AllKeys lists every key of the run.
func (c Config) AllKeys() []string {
	if c.Shared {
		return c.KeysOf(0)
	}
	var out []string
	for i := range c.Targets {
		out = append(out, c.KeysOf(i)...)
	}
	return out
}

// Workload is a running load. Stop ends it.
type Workload struct {
	cfg     Config
	h       *History
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	clients atomic.Int64
}

// Start starts every worker and prober.
func Start(cfg Config) *Workload {
	names := make([]string, len(cfg.Targets))
	for i, t := range cfg.Targets {
		names[i] = t.Name
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &Workload{cfg: cfg, h: NewHistory(names), cancel: cancel}
	seeds := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	for i, t := range cfg.Targets {
		keys := cfg.KeysOf(i)
		for j := 0; j < cfg.KVWorkersPerNode; j++ {
			c := w.newKVClient(i)
			rng := rand.New(rand.NewPCG(seeds.Uint64(), seeds.Uint64()))
			name := fmt.Sprintf("%s-%s-kv%d", cfg.RunID, t.Name, j)
			w.spawn(func() { kvWorker(ctx, c, keys, cfg.KVRate, rng, name) })
		}
		for j := 0; j < cfg.RegWorkersPerNode; j++ {
			rw := &regWorker{h: w.h, http: newHTTPClient(), node: i, addr: t.HTTPAddr, timeout: cfg.OpTimeout,
				prefix: fmt.Sprintf("chaos-%s-%s-r%d", cfg.RunID, t.Name, j)}
			rng := rand.New(rand.NewPCG(seeds.Uint64(), seeds.Uint64()))
			w.spawn(func() { rw.run(ctx, cfg.RegRate, rng) })
		}
		if t.DNSAddr != "" && cfg.DNSRate > 0 {
			p := &dnsProber{h: w.h, node: i, target: t, timeout: cfg.DNSTimeout, domain: cfg.Domain}
			rng := rand.New(rand.NewPCG(seeds.Uint64(), seeds.Uint64()))
			w.spawn(func() { p.run(ctx, cfg.DNSRate, rng) })
		}
	}
	return w
}

func (w *Workload) spawn(f func()) {
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		f()
	}()
}

func (w *Workload) newKVClient(node int) *kvClient {
	id := int(w.clients.Add(1)) - 1
	return &kvClient{h: w.h, http: newHTTPClient(), node: node, addr: w.cfg.Targets[node].HTTPAddr,
		timeout: w.cfg.OpTimeout, clients: &w.clients, client: id}
}

// History is the history being recorded.
func (w *Workload) History() *History { return w.h }

// Stop stops issuing operations and waits for those in flight (each is
// bounded by the operation timeout).
func (w *Workload) Stop() {
	w.cancel()
	w.wg.Wait()
}

// FinalReads reads every key with ?consistent through every live node and
// adds the reads to the history, so the linearizability check covers the
// final state: a lost acknowledged write shows up there.
func (w *Workload) FinalReads(ctx context.Context) {
	since := w.h.Now()
	var wg sync.WaitGroup
	for i, t := range w.cfg.Targets {
		if live, _ := t.Live(); !live {
			continue
		}
		c := w.newKVClient(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, key := range w.cfg.KeysOf(i) {
				op := c.get(ctx, key)
				if op.Outcome != OK {
					w.h.unexpectedf(fmt.Sprintf("final read of %s on %s failed: %s", key, t.Name, op.Err))
				}
			}
		}()
	}
	wg.Wait()
	w.h.markFinal(since)
}

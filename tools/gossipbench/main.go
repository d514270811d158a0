// Command gossipbench measures how fast a gossip pool declares a killed
// node failed, and whether it declares live nodes failed, on loopback
// while the machine's cores are kept busy.
//
// For each profile it starts a 3-node pool on 127.0.0.1, lets it run under
// load for -soak, then -kills times kills one node abruptly (Shutdown
// without Leave, rotating the victim), times the Failed event on every
// other node, restarts the victim with the same name and port, and waits
// -settle. Every Failed event for a node that was not just killed is a
// false verdict. It prints one table row per profile.
//
//	go run ./tools/gossipbench -profiles lan,local,fast -kills 20
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rosterhq/roster/gossip"
)

type options struct {
	profiles []string
	kills    int
	nodes    int
	soak     time.Duration
	settle   time.Duration
	cpu      int
	procs    int
	udp      int
	custom   gossip.Timing
	verbose  bool
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-burner" {
		burn()
		return
	}
	var o options
	var profiles string
	fast, _ := gossip.ProfileFast.Timing()
	flag.StringVar(&profiles, "profiles", "lan,local,fast", "comma-separated profiles to measure; \"custom\" uses the -probe-* and -suspicion-* flags on top of fast")
	flag.IntVar(&o.kills, "kills", 20, "kills per profile")
	flag.IntVar(&o.nodes, "nodes", 3, "pool size")
	flag.DurationVar(&o.soak, "soak", 20*time.Second, "loaded run without kills before the first kill (false verdicts count)")
	flag.DurationVar(&o.settle, "settle", 2*time.Second, "loaded wait after each restart (false verdicts count)")
	flag.IntVar(&o.cpu, "load-cpu", runtime.NumCPU(), "spinning goroutines in this process (shares the pools' scheduler)")
	flag.IntVar(&o.procs, "load-procs", runtime.NumCPU(), "spinning child processes")
	flag.IntVar(&o.udp, "load-udp", 0, "UDP ping-pong clients against a loopback echo server in this process")
	flag.DurationVar(&o.custom.ProbeInterval, "probe-interval", fast.ProbeInterval, "custom: probe interval")
	flag.DurationVar(&o.custom.ProbeTimeout, "probe-timeout", fast.ProbeTimeout, "custom: probe timeout")
	flag.IntVar(&o.custom.SuspicionMult, "suspicion-mult", fast.SuspicionMult, "custom: suspicion multiplier")
	flag.IntVar(&o.custom.SuspicionMaxTimeoutMult, "suspicion-max-mult", fast.SuspicionMaxTimeoutMult, "custom: suspicion max timeout multiplier")
	flag.IntVar(&o.custom.AwarenessMaxMultiplier, "awareness", fast.AwarenessMaxMultiplier, "custom: awareness max multiplier")
	flag.DurationVar(&o.custom.GossipInterval, "gossip-interval", fast.GossipInterval, "custom: gossip interval")
	flag.BoolVar(&o.verbose, "v", false, "log pool warnings to stderr")
	flag.Parse()
	o.profiles = strings.Split(profiles, ",")
	c := o.custom
	o.custom = fast
	o.custom.ProbeInterval, o.custom.ProbeTimeout = c.ProbeInterval, c.ProbeTimeout
	o.custom.SuspicionMult, o.custom.SuspicionMaxTimeoutMult = c.SuspicionMult, c.SuspicionMaxTimeoutMult
	o.custom.AwarenessMaxMultiplier, o.custom.GossipInterval = c.AwarenessMaxMultiplier, c.GossipInterval

	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "gossipbench:", err)
		os.Exit(1)
	}
}

type result struct {
	name      string
	timing    gossip.Timing
	perObs    []time.Duration // one per (kill, observer)
	perKill   []time.Duration // last observer, per kill
	missed    int             // observers that never reported within the timeout
	falseDead []string
	flaps     []string
	nearMiss  int64 // refutations by live, not recently restarted nodes
	maxHealth int
	cpuBusy   float64
	udpPerSec float64
	kills     int
	wall      time.Duration
}

func run(o options) error {
	logger := slog.New(slog.DiscardHandler)
	if o.verbose {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	ld, err := startLoad(ctx, o.cpu, o.procs, o.udp)
	if err != nil {
		cancel()
		return err
	}
	defer func() { cancel(); ld.stop() }()

	fmt.Printf("gossipbench: %d nodes on 127.0.0.1, %d kills/profile, soak %s, settle %s, GOMAXPROCS %d, %d CPUs\n",
		o.nodes, o.kills, o.soak, o.settle, runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Printf("load: %d spinning goroutines in-process, %d spinning processes, %d UDP ping-pong clients\n\n", o.cpu, o.procs, o.udp)
	var results []result
	for _, name := range o.profiles {
		r, err := runProfile(o, name, logger, ld)
		if err != nil {
			return fmt.Errorf("profile %s: %w", name, err)
		}
		printDetail(os.Stdout, r)
		results = append(results, r)
	}
	printTable(os.Stdout, results)
	return nil
}

func runProfile(o options, name string, logger *slog.Logger, ld *load) (result, error) {
	r := result{name: name}
	profile := gossip.Profile(name)
	var timing *gossip.Timing
	if name == "custom" {
		profile, timing = gossip.ProfileFast, &o.custom
		r.timing = o.custom
	} else {
		t, err := profile.Timing()
		if err != nil {
			return r, err
		}
		r.timing = t
	}
	start := time.Now()
	cpu := startCPU()
	udp0 := ld.udpRT.Load()
	c, err := newCluster(o.nodes, profile, timing, logger)
	if err != nil {
		return r, err
	}
	defer c.close()

	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				c.sampleHealth()
			}
		}
	}()

	time.Sleep(o.soak)
	// A generous timeout: lan takes several seconds, and a miss is reported.
	timeout := 20*r.timing.ProbeInterval*time.Duration(r.timing.SuspicionMult) + 10*time.Second
	for k := range o.kills {
		i := k % o.nodes
		det := c.kill(i, timeout)
		r.missed += o.nodes - 1 - len(det)
		var last time.Duration
		for _, d := range det {
			r.perObs = append(r.perObs, d)
			last = max(last, d)
		}
		if len(det) == o.nodes-1 {
			r.perKill = append(r.perKill, last)
		}
		if err := c.restart(i); err != nil {
			return r, err
		}
		time.Sleep(o.settle)
	}
	r.kills = o.kills
	r.wall = time.Since(start)
	r.cpuBusy = cpu.busyPercent()
	r.udpPerSec = float64(ld.udpRT.Load()-udp0) / r.wall.Seconds()
	c.mu.Lock()
	r.falseDead, r.flaps, r.maxHealth = c.falseDead, c.flaps, c.maxHealth
	r.nearMiss = c.nearMiss.Load()
	c.mu.Unlock()
	return r, nil
}

func printDetail(w io.Writer, r result) {
	t := r.timing
	fmt.Fprintf(w, "%s: probe %s/%s, suspicion x%d (max x%d), awareness x%d, gossip %s, retransmit x%d; %s wall, cpu busy %.0f%%, udp %.0f rt/s\n",
		r.name, t.ProbeInterval, t.ProbeTimeout, t.SuspicionMult, t.SuspicionMaxTimeoutMult, t.AwarenessMaxMultiplier,
		t.GossipInterval, t.RetransmitMult, r.wall.Round(time.Second), r.cpuBusy, r.udpPerSec)
	for _, s := range r.falseDead {
		fmt.Fprintln(w, "  false dead:", s)
	}
	for _, s := range r.flaps {
		fmt.Fprintln(w, "  restart flap:", s)
	}
}

func printTable(w io.Writer, rs []result) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "profile\tkills\tall-nodes p50 ms\tp99 ms\tmax ms\tper-node p50 ms\tp99 ms\tmax ms\tmissed\tfalse dead\trestart flaps\tnear misses\tmax health\tcpu busy %\t")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%.0f\t\n", r.name, r.kills,
			ms(percentile(r.perKill, .5)), ms(percentile(r.perKill, .99)), ms(percentile(r.perKill, 1)),
			ms(percentile(r.perObs, .5)), ms(percentile(r.perObs, .99)), ms(percentile(r.perObs, 1)),
			r.missed, len(r.falseDead), len(r.flaps), r.nearMiss, r.maxHealth, r.cpuBusy)
	}
	tw.Flush()
}

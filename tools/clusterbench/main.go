// Command clusterbench measures a real three-process roster cluster on
// loopback (nodes on 127.0.0.1, .2 and .3):
//
//   - registrations per second through HTTP with concurrent clients spread
//     over all nodes (followers forward to the leader), with commit latency
//     percentiles, next to a one-node cluster measured in the same run;
//   - failure-to-DNS: SIGKILL a node and time until every other node stops
//     returning its instance, over many kills, while a DNS load keeps the
//     cores busy, counting false "failed" verdicts for nodes not killed.
//
// Usage: go run ./tools/clusterbench -bin bin/roster [-kills 20] [-clients 32]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

func main() {
	bin := flag.String("bin", "bin/roster", "roster binary")
	kills := flag.Int("kills", 20, "kills for the failure-to-DNS measurement")
	clients := flag.Int("clients", 32, "concurrent registration clients")
	duration := flag.Duration("duration", 5*time.Second, "registration load duration")
	dnsLoad := flag.Int("dns-load", 8, "goroutines sending DNS queries during the kills")
	profile := flag.String("gossip-profile", "fast", "gossip profile of the agents")
	skipRegs := flag.Bool("skip-regs", false, "skip the registration measurement")
	flag.Parse()
	if err := run(*bin, *kills, *clients, *duration, *dnsLoad, *profile, *skipRegs); err != nil {
		fmt.Fprintln(os.Stderr, "clusterbench:", err)
		os.Exit(1)
	}
}

type node struct {
	name, ip, dir string
	cmd           *exec.Cmd
}

func (n *node) http() string { return n.ip + ":18500" }
func (n *node) dns() string  { return n.ip + ":18600" }

func (n *node) start(bin, profile string, size int) error {
	args := []string{"agent", "--node", n.name, "--data-dir", n.dir, "--bind", n.ip,
		"--http-addr", n.http(), "--dns-addr", n.dns(), "--raft-port", "18300", "--gossip-port", "18301",
		"--gossip-profile", profile, "--log-level", "error"}
	if size > 1 {
		args = append(args, "--bootstrap-expect", fmt.Sprint(size))
		for i := 1; i <= size; i++ {
			args = append(args, "--join", fmt.Sprintf("127.0.0.%d:18301", i))
		}
	}
	n.cmd = exec.Command(bin, args...) // stderr dropped: raft logs every failed dial to a killed peer
	return n.cmd.Start()
}

func (n *node) kill() {
	if n.cmd != nil && n.cmd.Process != nil {
		n.cmd.Process.Signal(syscall.SIGKILL)
		n.cmd.Wait()
		n.cmd = nil
	}
}

func startCluster(bin, profile string, size int) ([]*node, func(), error) {
	base, err := os.MkdirTemp("", "clusterbench-")
	if err != nil {
		return nil, nil, err
	}
	var nodes []*node
	for i := 1; i <= size; i++ {
		n := &node{name: fmt.Sprintf("b%d", i), ip: fmt.Sprintf("127.0.0.%d", i), dir: filepath.Join(base, fmt.Sprint(i))}
		if err := n.start(bin, profile, size); err != nil {
			return nil, nil, err
		}
		nodes = append(nodes, n)
	}
	stop := func() {
		for _, n := range nodes {
			n.kill()
		}
		os.RemoveAll(base)
	}
	// Ready: every node knows the leader and answers a registration.
	deadline := time.Now().Add(30 * time.Second)
	for _, n := range nodes {
		for {
			if err := register(n, "probe-"+n.name, "probe", "10.9.9.9"); err == nil {
				break
			}
			if time.Now().After(deadline) {
				stop()
				return nil, nil, fmt.Errorf("cluster of %d did not come up", size)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nodes, stop, nil
}

var httpClient = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}

func register(n *node, id, name, addr string) error {
	body := fmt.Sprintf(`{"ID":%q,"Name":%q,"Address":%q,"Port":80}`, id, name, addr)
	req, _ := http.NewRequest("PUT", "http://"+n.http()+"/v1/agent/service/register", strings.NewReader(body))
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return fmt.Errorf("status %d: %s", resp.StatusCode, strings.TrimSpace(b.String()))
	}
	return nil
}

func run(bin string, kills, clients int, duration time.Duration, dnsLoad int, profile string, skipRegs bool) error {
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("binary %s: %v (run make build)", bin, err)
	}
	if !skipRegs {
		for _, size := range []int{1, 3} {
			nodes, stop, err := startCluster(bin, profile, size)
			if err != nil {
				return err
			}
			regsPerSec, p50, p99, errs := registrationLoad(nodes, clients, duration)
			stop()
			fmt.Printf("registrations  nodes=%d clients=%d  %8.0f regs/s  commit latency p50 %-8s p99 %-8s errors %d\n",
				size, clients, regsPerSec, p50.Round(10*time.Microsecond), p99.Round(10*time.Microsecond), errs)
		}
	}
	return failureToDNS(bin, profile, kills, dnsLoad)
}

func registrationLoad(nodes []*node, clients int, d time.Duration) (float64, time.Duration, time.Duration, int64) {
	var (
		seq, errs atomic.Int64
		mu        sync.Mutex
		lat       []time.Duration
		wg        sync.WaitGroup
	)
	deadline := time.Now().Add(d)
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := nodes[c%len(nodes)]
			var local []time.Duration
			for time.Now().Before(deadline) {
				i := seq.Add(1)
				t := time.Now()
				if err := register(n, fmt.Sprintf("web-%d", i), "web", fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)); err != nil {
					errs.Add(1)
					continue
				}
				local = append(local, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	return float64(len(lat)) / elapsed.Seconds(), pct(lat, 50), pct(lat, 99), errs.Load()
}

func pct(s []time.Duration, p int) time.Duration {
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, len(s)*p/100)]
}

// answers returns the A records node n gives for svc.
func answers(c *dns.Client, n *node, svc string) ([]string, error) {
	m := new(dns.Msg)
	m.SetQuestion(svc+".service.roster.", dns.TypeA)
	r, _, err := c.Exchange(m, n.dns())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			out = append(out, a.A.String())
		}
	}
	return out, nil
}

func failureToDNS(bin, profile string, kills, dnsLoad int) error {
	nodes, stop, err := startCluster(bin, profile, 3)
	if err != nil {
		return err
	}
	defer stop()
	for i, n := range nodes {
		if err := register(n, "app-"+n.name, "app", fmt.Sprintf("10.1.0.%d", i+1)); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// Background DNS load on every node, to keep both cores busy.
	var queries atomic.Int64
	for g := 0; g < dnsLoad; g++ {
		go func() {
			c := &dns.Client{Timeout: 200 * time.Millisecond}
			for i := 0; ctx.Err() == nil; i++ {
				if _, err := answers(c, nodes[i%3], "app"); err == nil {
					queries.Add(1)
				}
			}
		}()
	}
	// False verdicts: a node reported failed while it was not killed.
	var killed atomic.Int32
	killed.Store(-1)
	var falseDead atomic.Int64
	go watchMembers(ctx, nodes, &killed, &falseDead)

	var samples []time.Duration
	c := &dns.Client{Timeout: 200 * time.Millisecond}
	loadStart := time.Now()
	for k := 0; k < kills; k++ {
		v := k % 3
		victim := nodes[v]
		victimIP := fmt.Sprintf("10.1.0.%d", v+1)
		killed.Store(int32(v))
		t0 := time.Now()
		victim.kill()
		for o, obs := range nodes {
			if o == v {
				continue
			}
			for {
				got, err := answers(c, obs, "app")
				if err == nil && !slices.Contains(got, victimIP) {
					samples = append(samples, time.Since(t0))
					break
				}
				if time.Since(t0) > 30*time.Second {
					return fmt.Errorf("kill %d: %s still answers for %s", k, obs.name, victim.name)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		if err := victim.start(bin, profile, 3); err != nil {
			return err
		}
		// Back in every node's answers before the next kill.
		deadline := time.Now().Add(60 * time.Second)
		for _, obs := range nodes {
			for {
				got, err := answers(c, obs, "app")
				if err == nil && slices.Contains(got, victimIP) {
					break
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("kill %d: %s did not come back on %s", k, victim.name, obs.name)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		killed.Store(-1)
		time.Sleep(500 * time.Millisecond)
	}
	slices.Sort(samples)
	fmt.Printf("failure-to-DNS  kills=%d observations=%d  p50 %s  p99 %s  max %s  (gossip profile %s)\n",
		kills, len(samples), pct(samples, 50).Round(time.Millisecond), pct(samples, 99).Round(time.Millisecond),
		samples[len(samples)-1].Round(time.Millisecond), profile)
	fmt.Printf("false dead verdicts for live nodes: %d   background DNS load: %.0f queries/s\n",
		falseDead.Load(), float64(queries.Load())/time.Since(loadStart).Seconds())
	return nil
}

// watchMembers polls every node's member list and counts members reported
// failed that were not the node killed at the time.
func watchMembers(ctx context.Context, nodes []*node, killed *atomic.Int32, falseDead *atomic.Int64) {
	seen := map[string]bool{} // observer/member pairs currently counted
	for ctx.Err() == nil {
		for _, obs := range nodes {
			resp, err := httpClient.Get("http://" + obs.http() + "/v1/agent/members")
			if err != nil {
				continue
			}
			var members []struct {
				Name   string
				Status int
			}
			json.NewDecoder(resp.Body).Decode(&members)
			resp.Body.Close()
			k := killed.Load()
			for _, m := range members {
				key := obs.name + "/" + m.Name
				victim := k >= 0 && nodes[k].name == m.Name
				if m.Status == 4 && !victim && !seen[key] {
					falseDead.Add(1)
					fmt.Fprintf(os.Stderr, "false dead: %s saw %s failed\n", obs.name, m.Name)
					seen[key] = true
				}
				if m.Status != 4 {
					delete(seen, key)
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

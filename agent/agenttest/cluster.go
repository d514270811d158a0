package agenttest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/agent"
)

// Cluster is a set of real agents in this process, each with its own data
// directory and fixed loopback ports (so a restarted node comes back where
// it was), formed with bootstrap-expect over gossip.
type Cluster struct {
	t      testing.TB
	Agents []*agent.Agent // nil while a node is down
	cfgs   []agent.Config
}

// StartCluster starts n agents named n1..nN and waits until they form one
// Raft group with a leader and all of them in the catalog. mutate, if not
// nil, adjusts each node's config first.
func StartCluster(t testing.TB, n int, mutate func(i int, cfg *agent.Config)) *Cluster {
	t.Helper()
	c := &Cluster{t: t, Agents: make([]*agent.Agent, n), cfgs: make([]agent.Config, n)}
	gossipAddrs := make([]string, n)
	for i := range c.cfgs {
		cfg := Config(t, fmt.Sprintf("n%d", i+1), t.TempDir())
		cfg.BootstrapExpect = n
		cfg.RaftPort = FreePort(t)
		cfg.GossipPort = FreePort(t)
		cfg.HTTPAddr = "127.0.0.1:" + strconv.Itoa(FreePort(t))
		cfg.DNSAddr = "127.0.0.1:" + strconv.Itoa(FreePort(t))
		cfg.Raft.LeaderWait = 5 * time.Second
		gossipAddrs[i] = "127.0.0.1:" + strconv.Itoa(cfg.GossipPort)
		c.cfgs[i] = cfg
	}
	for i := range c.cfgs {
		// Everyone joins the others; join succeeds as soon as one answers.
		for j, addr := range gossipAddrs {
			if j != i {
				c.cfgs[i].Join = append(c.cfgs[i].Join, addr)
			}
		}
		if mutate != nil {
			mutate(i, &c.cfgs[i])
		}
	}
	// Start concurrently: each blocks in Start until its join succeeds.
	errs := make(chan error, n)
	for i := range c.cfgs {
		go func() {
			a, err := agent.Start(c.cfgs[i])
			if err == nil {
				c.Agents[i] = a
			}
			errs <- err
		}()
	}
	for range c.cfgs {
		if err := <-errs; err != nil {
			t.Fatalf("start cluster: %v", err)
		}
	}
	t.Cleanup(c.StopAll)
	c.WaitForLeader()
	c.WaitConverged()
	return c
}

// FreePort returns a loopback port free for both TCP and UDP a moment ago.
// Ports come from below the kernel's ephemeral range (32768 and up here),
// so an outgoing connection cannot take one between this check and the
// agent's bind, and from a per-process sequence, so two calls never return
// the same port.
func FreePort(t testing.TB) int {
	t.Helper()
	for range portSpan {
		p := portBase + int(nextPort.Add(1))%portSpan
		tl, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		ul, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(p))
		tl.Close()
		if err != nil {
			continue
		}
		ul.Close()
		return p
	}
	t.Fatal("no free loopback port")
	return 0
}

const (
	portBase = 20000
	portSpan = 12000
)

// nextPort starts at a random offset so test binaries running in parallel
// (go test runs packages concurrently) rarely probe the same ports.
var nextPort = func() *atomic.Int64 {
	var n atomic.Int64
	n.Store(rand.Int64N(portSpan))
	return &n
}()

// StopAll stops every running agent.
func (c *Cluster) StopAll() {
	for i, a := range c.Agents {
		if a != nil {
			a.Stop()
			c.Agents[i] = nil
		}
	}
}

// Leader returns the index of the agent that leads, or -1.
func (c *Cluster) Leader() int {
	for i, a := range c.Agents {
		if a != nil && a.Raft().IsLeader() {
			return i
		}
	}
	return -1
}

// WaitForLeader waits until a running agent leads and every running agent
// knows it, and returns its index.
func (c *Cluster) WaitForLeader() int {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if l := c.Leader(); l >= 0 {
			want := c.Agents[l].RaftAddr()
			agreed := true
			for _, a := range c.Agents {
				if a != nil {
					if addr, _ := a.Raft().Leader(); addr != want {
						agreed = false
					}
				}
			}
			if agreed {
				return l
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatal("cluster has no leader")
	return -1
}

// Followers returns the indexes of running agents that do not lead.
func (c *Cluster) Followers() []int {
	var out []int
	l := c.Leader()
	for i, a := range c.Agents {
		if a != nil && i != l {
			out = append(out, i)
		}
	}
	return out
}

// WaitConverged waits until every running agent has every running agent's
// node in its catalog and all have applied the same index.
func (c *Cluster) WaitConverged() {
	c.t.Helper()
	c.WaitFor("convergence", 30*time.Second, func() bool {
		var idx uint64
		first := true
		for _, a := range c.Agents {
			if a == nil {
				continue
			}
			for _, b := range c.Agents {
				if b != nil && a.Store().Node(b.NodeName()) == nil {
					return false
				}
			}
			if first {
				idx, first = a.Store().AppliedIndex(), false
			} else if a.Store().AppliedIndex() != idx {
				return false
			}
		}
		return true
	})
}

// WaitFor polls cond until it holds or timeout passes.
func (c *Cluster) WaitFor(what string, timeout time.Duration, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill stops agent i without leaving the cluster: to the others it looks
// like a crash (gossip declares it failed).
func (c *Cluster) Kill(i int) {
	c.t.Helper()
	if c.Agents[i] == nil {
		c.t.Fatalf("agent %d is not running", i)
	}
	c.Agents[i].Stop()
	c.Agents[i] = nil
}

// Restart starts agent i again on its data directory and ports.
func (c *Cluster) Restart(i int) *agent.Agent {
	c.t.Helper()
	a, err := agent.Start(c.cfgs[i])
	if err != nil {
		c.t.Fatalf("restart agent %d: %v", i, err)
	}
	c.Agents[i] = a
	return a
}

// Config returns agent i's config (to start a copy or inspect ports).
func (c *Cluster) Config(i int) agent.Config { return c.cfgs[i] }

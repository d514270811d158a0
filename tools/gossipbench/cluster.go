package main

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rosterhq/roster/gossip"
)

// cluster is n pools on 127.0.0.1 plus the bookkeeping that classifies
// every Failed event as a detection (of the node just killed) or false.
type cluster struct {
	profile gossip.Profile
	timing  *gossip.Timing
	log     *slog.Logger

	mu        sync.Mutex
	nodes     []*node
	victim    string    // node killed and not yet restarted
	killedAt  time.Time // when victim was killed
	detected  map[string]time.Duration
	restarted map[string]time.Time // when each node last came back
	falseDead []string             // "observer saw X failed at T"
	flaps     []string             // false verdicts within flapWindow of a restart
	maxHealth int
	nearMiss  atomic.Int64 // see nearMissHandler
}

// flapWindow: a false verdict this soon after the node's restart is
// counted as a restart flap, not as a false dead verdict on a healthy node.
const flapWindow = 5 * time.Second

type node struct {
	name string
	port int
	pool *gossip.Pool
}

func newCluster(size int, profile gossip.Profile, timing *gossip.Timing, log *slog.Logger) (*cluster, error) {
	c := &cluster{profile: profile, timing: timing, restarted: map[string]time.Time{}}
	c.log = slog.New(&nearMissHandler{next: log.Handler(), cluster: c, nearMiss: &c.nearMiss})
	for i := range size {
		n, err := c.start(fmt.Sprintf("n%d", i+1), 0)
		if err != nil {
			c.close()
			return nil, err
		}
		c.nodes = append(c.nodes, n)
	}
	for _, n := range c.nodes[1:] {
		if _, err := n.pool.Join([]string{c.nodes[0].pool.LocalMember().Address()}); err != nil {
			c.close()
			return nil, err
		}
	}
	if err := c.waitAllAlive(30 * time.Second); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

// start creates a pool and a goroutine that timestamps its events.
func (c *cluster) start(name string, port int) (*node, error) {
	cfg := gossip.DefaultConfig()
	cfg.NodeName = name
	cfg.BindAddr = "127.0.0.1"
	cfg.BindPort = port
	cfg.Profile = c.profile
	cfg.Timing = c.timing
	cfg.Logger = c.log.With("node", name)
	cfg.Meta = gossip.Meta{ID: name, Role: gossip.RoleServer, RaftAddr: "127.0.0.1:8300"}
	p, err := gossip.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	n := &node{name: name, port: int(p.LocalMember().Port), pool: p}
	go func() {
		for ev := range p.Events() {
			c.observe(name, ev, time.Now())
		}
	}()
	return n, nil
}

func (c *cluster) observe(observer string, ev gossip.Event, at time.Time) {
	if ev.Type != gossip.EventFailed {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	target := ev.Member.Name
	if target == c.victim {
		if _, dup := c.detected[observer]; !dup {
			c.detected[observer] = at.Sub(c.killedAt)
		}
		return
	}
	msg := fmt.Sprintf("%s saw %s failed at %s", observer, target, at.Format("15:04:05.000"))
	if at.Sub(c.restarted[target]) < flapWindow {
		c.flaps = append(c.flaps, msg)
	} else {
		c.falseDead = append(c.falseDead, msg)
	}
	c.log.Warn("false failed verdict", "observer", observer, "member", target)
}

// kill stops node i abruptly and returns, per observer, the time from the
// kill to its Failed event (observers that did not see it within timeout
// are missing from the map).
func (c *cluster) kill(i int, timeout time.Duration) map[string]time.Duration {
	victim := c.nodes[i]
	c.mu.Lock()
	c.victim = victim.name
	c.detected = map[string]time.Duration{}
	c.killedAt = time.Now()
	c.mu.Unlock()
	_ = victim.pool.Shutdown()

	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		done := len(c.detected) == len(c.nodes)-1
		c.mu.Unlock()
		if done {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]time.Duration, len(c.detected))
	for k, v := range c.detected {
		out[k] = v
	}
	return out
}

// restart brings node i back with the same name and port and waits until
// every node sees every other alive.
func (c *cluster) restart(i int) error {
	old := c.nodes[i]
	n, err := c.start(old.name, old.port)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.nodes[i] = n
	c.restarted[n.name] = time.Now()
	c.mu.Unlock()
	var peers []string
	for j, o := range c.nodes {
		if j != i {
			peers = append(peers, o.pool.LocalMember().Address())
		}
	}
	if _, err := n.pool.Join(peers); err != nil {
		return fmt.Errorf("rejoin %s: %w", n.name, err)
	}
	if err := c.waitAllAlive(30 * time.Second); err != nil {
		return err
	}
	c.mu.Lock()
	c.victim = ""
	c.mu.Unlock()
	return nil
}

func (c *cluster) waitAllAlive(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ok := true
		for _, n := range c.nodes {
			alive := 0
			for _, m := range n.pool.Members() {
				if m.Status == gossip.StatusAlive {
					alive++
				}
			}
			ok = ok && alive == len(c.nodes)
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster did not converge within %s", timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sampleHealth records the worst memberlist awareness score seen.
func (c *cluster) sampleHealth() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.nodes {
		if n.name == c.victim {
			continue
		}
		c.maxHealth = max(c.maxHealth, n.pool.HealthScore())
	}
}

func (c *cluster) close() {
	for _, n := range c.nodes {
		_ = n.pool.Shutdown()
	}
}

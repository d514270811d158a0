package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/rosterhq/roster/e2e/chaos/netns"
)

// Options configures a cluster.
type Options struct {
	// Binary is the roster binary (see Build).
	Binary string
	// Nodes is the number of agents (3 or 5).
	Nodes int
	// Dir holds each node's data directory and log.
	Dir string
	// GossipProfile is passed as --gossip-profile when the binary has it.
	GossipProfile string
	// SnapshotThreshold and TrailingLogs, when non-zero, lower Raft's
	// snapshot settings so runs exercise snapshot install and log trimming.
	SnapshotThreshold uint64
	TrailingLogs      uint64
	// LeaderTimeout bounds the wait for the first leader.
	LeaderTimeout time.Duration
	// ExtraArgs are appended to every agent's command line.
	ExtraArgs []string
}

// Cluster is a set of agents on one network.
type Cluster struct {
	Net      *netns.Network
	Nodes    []*Node
	Features Features
	client   *http.Client
}

// Build compiles ./cmd/roster of the module under test into dir.
func Build(ctx context.Context, dir string) (string, error) {
	return build(ctx, dir, "roster", "github.com/rosterhq/roster/cmd/roster")
}

func build(ctx context.Context, dir, name, pkg string) (string, error) {
	out := filepath.Join(dir, name)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %w\n%s", pkg, err, b)
	}
	return out, nil
}

// Start builds the network and starts every agent, then waits until a
// leader is known (every node's own, for single-node agents). On error
// everything started is stopped and removed.
func Start(ctx context.Context, opts Options) (c *Cluster, err error) {
	feats, err := DetectFeatures(opts.Binary)
	if err != nil {
		return nil, err
	}
	nw, err := netns.Create(opts.Nodes)
	if err != nil {
		return nil, err
	}
	c = &Cluster{Net: nw, Features: feats, client: &http.Client{Timeout: 2 * time.Second}}
	defer func() {
		if err != nil {
			err = errors.Join(err, c.Close())
			c = nil
		}
	}()
	for i, h := range nw.Hosts {
		n := &Node{
			Index:    i,
			Name:     h.Name,
			Host:     h,
			HTTPAddr: net.JoinHostPort(h.IP.String(), strconv.Itoa(HTTPPort)),
			RaftAddr: raftAddr(h.IP.String()),
			LogPath:  filepath.Join(opts.Dir, h.Name+".log"),
			DataDir:  filepath.Join(opts.Dir, h.Name),
			bin:      opts.Binary,
			state:    Killed,
		}
		if feats.DNS {
			n.DNSAddr = net.JoinHostPort(h.IP.String(), strconv.Itoa(DNSPort))
		}
		if err := os.MkdirAll(n.DataDir, 0o700); err != nil {
			return c, err
		}
		c.Nodes = append(c.Nodes, n)
	}
	for _, n := range c.Nodes {
		n.args = c.agentArgs(n, opts)
	}
	// Start all at once: with bootstrap-expect each waits for the others.
	errc := make(chan error, len(c.Nodes))
	for _, n := range c.Nodes {
		go func() { errc <- n.Start(ctx) }()
	}
	var errs []error
	for range c.Nodes {
		errs = append(errs, <-errc)
	}
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	wait := opts.LeaderTimeout
	if wait == 0 {
		wait = 30 * time.Second
	}
	return c, c.waitLeader(ctx, wait)
}

// agentArgs is the command line of node n.
func (c *Cluster) agentArgs(n *Node, opts Options) []string {
	ip := n.Host.IP.String()
	args := []string{"agent",
		"--node", n.Name,
		"--data-dir", n.DataDir,
		"--bind", ip,
		"--advertise", ip,
		"--raft-port", strconv.Itoa(RaftPort),
		"--http-addr", n.HTTPAddr,
		"--log-level", "info",
		"--log-json",
	}
	f := c.Features
	if f.Server {
		args = append(args, "--server")
	}
	if f.Gossip {
		args = append(args, "--gossip-port", strconv.Itoa(GossipPort))
	}
	if f.GossipProfile && opts.GossipProfile != "" {
		args = append(args, "--gossip-profile", opts.GossipProfile)
	}
	if f.DNS {
		args = append(args, "--dns-addr", n.DNSAddr)
	}
	if f.SnapshotTune && opts.SnapshotThreshold > 0 {
		args = append(args, "--raft-snapshot-threshold", strconv.FormatUint(opts.SnapshotThreshold, 10),
			"--raft-trailing-logs", strconv.FormatUint(opts.TrailingLogs, 10))
	}
	if f.Cluster {
		args = append(args, "--bootstrap-expect", strconv.Itoa(len(c.Nodes)))
		for _, o := range c.Nodes {
			if o != n {
				args = append(args, "--join", net.JoinHostPort(o.Host.IP.String(), strconv.Itoa(GossipPort)))
			}
		}
		if f.RetryJoin {
			args = append(args, "--retry-join-timeout", "5m")
		}
	}
	return append(args, opts.ExtraArgs...)
}

// Clustered reports whether the agents form one cluster (rather than one
// single-node cluster each).
func (c *Cluster) Clustered() bool { return c.Features.Cluster }

// Close stops every agent and removes the network.
func (c *Cluster) Close() error {
	var errs []error
	for _, n := range c.Nodes {
		errs = append(errs, n.stop())
	}
	errs = append(errs, c.Net.Destroy())
	return errors.Join(errs...)
}

// Node returns the node whose Raft address is addr, or nil.
func (c *Cluster) nodeByRaftAddr(addr string) *Node {
	for _, n := range c.Nodes {
		if n.RaftAddr == addr {
			return n
		}
	}
	return nil
}

// LeaderOf asks node n who leads. It returns nil when n knows no leader.
func (c *Cluster) LeaderOf(ctx context.Context, n *Node) (*Node, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+n.HTTPAddr+"/v1/status/leader", nil)
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: /v1/status/leader: %s", n.Name, resp.Status)
	}
	var addr string
	if err := json.NewDecoder(resp.Body).Decode(&addr); err != nil {
		return nil, fmt.Errorf("%s: /v1/status/leader: %w", n.Name, err)
	}
	if addr == "" {
		return nil, nil
	}
	l := c.nodeByRaftAddr(addr)
	if l == nil {
		return nil, fmt.Errorf("%s names unknown leader %q", n.Name, addr)
	}
	return l, nil
}

// Leader returns the node most live nodes name as leader, preferring one
// that names itself. It is a best guess during faults, which is all the
// fault injector needs to aim at the leader.
func (c *Cluster) Leader(ctx context.Context) (*Node, error) {
	votes := map[*Node]int{}
	for _, n := range c.Nodes {
		if live, _ := n.Live(); !live {
			continue
		}
		l, err := c.LeaderOf(ctx, n)
		if err != nil || l == nil {
			continue
		}
		votes[l]++
		if l == n {
			votes[l] += len(c.Nodes) // a node that says it leads does
		}
	}
	var best *Node
	for l, v := range votes {
		if best == nil || v > votes[best] || v == votes[best] && l.Index < best.Index {
			best = l
		}
	}
	if best == nil {
		return nil, errNoLeader
	}
	return best, nil
}

// waitLeader waits until every live node knows the same leader (for
// single-node agents: each knows itself).
func (c *Cluster) waitLeader(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last string
	for {
		var names []string
		agreed := true
		var first *Node
		for _, n := range c.Nodes {
			l, err := c.LeaderOf(ctx, n)
			switch {
			case err != nil || l == nil:
				agreed = false
				names = append(names, n.Name+"->none")
			case !c.Clustered():
				agreed = agreed && l == n
				names = append(names, n.Name+"->"+l.Name)
			default:
				if first == nil {
					first = l
				}
				agreed = agreed && l == first
				names = append(names, n.Name+"->"+l.Name)
			}
		}
		if agreed {
			return nil
		}
		last = fmt.Sprint(names)
		select {
		case <-ctx.Done():
			return fmt.Errorf("no agreed leader within %s (last seen %s)", timeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func sortedStrings(s []string) []string {
	slices.Sort(s)
	return s
}

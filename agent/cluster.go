package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster/consensus"
	"github.com/rosterhq/roster/gossip"
)

// startGossip joins the memberlist pool with this node's metadata.
func (a *Agent) startGossip() error {
	gc := gossip.DefaultConfig()
	gc.NodeName = a.cfg.NodeName
	gc.BindAddr = a.cfg.BindAddr
	gc.BindPort = a.cfg.GossipPort
	gc.AdvertiseAddr = a.cfg.AdvertiseAddr
	gc.Profile = a.cfg.GossipProfile
	gc.Logger = a.logger.With("component", "gossip")
	role := gossip.RoleServer
	if !a.cfg.Server {
		role = gossip.RoleClient
	}
	gc.Meta = gossip.Meta{
		ID:       a.nodeID,
		Role:     role,
		RaftAddr: a.raft.Addr(),
		HTTPAddr: a.advertised(a.HTTPAddr()),
		DNSAddr:  a.advertised(a.DNSAddr()),
		Version:  a.cfg.Version,
	}
	pool, err := gossip.New(gc)
	if err != nil {
		return fmt.Errorf("start gossip: %w", err)
	}
	a.pool = pool
	a.wg.Add(1)
	go a.consumeEvents()
	return nil
}

// advertised turns a bound address into one others can dial: an
// unspecified host becomes the advertise IP.
func (a *Agent) advertised(bound string) string {
	if bound == "" {
		return ""
	}
	host, port, err := net.SplitHostPort(bound)
	if err != nil {
		return bound
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = a.cfg.advertiseIP()
	}
	return net.JoinHostPort(host, port)
}

// GossipAddr returns the address other nodes join this one at.
func (a *Agent) GossipAddr() string {
	if a.pool == nil {
		return ""
	}
	return a.pool.LocalMember().Address()
}

// joinCluster contacts the --join addresses, retrying until one answers or
// RetryJoinTimeout passes.
func (a *Agent) joinCluster() error {
	if len(a.cfg.Join) == 0 {
		return nil
	}
	ctx := a.ctx
	if a.cfg.RetryJoinTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.cfg.RetryJoinTimeout)
		defer cancel()
	}
	n, err := a.pool.RetryJoin(ctx, a.cfg.Join)
	if err != nil {
		return fmt.Errorf("join %v: %w", a.cfg.Join, err)
	}
	a.logger.Info("joined the cluster", "contacted", n)
	return nil
}

// consumeEvents applies membership changes to this node's own view at once
// (DNS stops answering for a failed node without waiting for Raft) and
// wakes the leader's reconcile loop.
func (a *Agent) consumeEvents() {
	defer a.wg.Done()
	for {
		select {
		case <-a.ctx.Done():
			return
		case ev, ok := <-a.pool.Events():
			if !ok {
				return
			}
			if ev.Member.Name != a.cfg.NodeName {
				switch ev.Type {
				case gossip.EventFailed, gossip.EventLeft:
					a.store.SetNodeDown(ev.Member.Name, true)
				case gossip.EventJoin, gossip.EventUpdate, gossip.EventReap:
					a.store.SetNodeDown(ev.Member.Name, false)
				}
			}
			a.logger.Debug("membership event", "event", ev.String())
			select {
			case a.reconcileCh <- struct{}{}:
			default:
			}
		}
	}
}

// bootstrapWhenExpected bootstraps Raft once BootstrapExpect servers see
// each other, unless one of them already belongs to a cluster (then its
// leader adds this node). Every expected server computes the same list, so
// the bootstraps agree.
func (a *Agent) bootstrapWhenExpected() {
	defer a.wg.Done()
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		if a.raft.HasState() {
			return
		}
		servers := a.upServers()
		if len(servers) >= a.cfg.BootstrapExpect {
			if a.anyPeerHasCluster(servers) {
				a.logger.Info("a cluster already exists; waiting to be added")
				return
			}
			var list []consensus.Server
			for _, m := range servers {
				list = append(list, consensus.Server{ID: m.Name, Address: m.Meta.RaftAddr})
			}
			err := a.raft.BootstrapCluster(list)
			switch {
			case err == nil:
				a.logger.Info("bootstrapped the cluster", "servers", len(list))
				return
			case errors.Is(err, consensus.ErrAlreadyBootstrapped):
				return
			default:
				a.logger.Warn("bootstrap failed; will retry", "err", err)
			}
		}
		select {
		case <-a.ctx.Done():
			return
		case <-t.C:
		}
	}
}

// upServers returns the live servers gossip knows, sorted by name.
func (a *Agent) upServers() []gossip.Member {
	var out []gossip.Member
	for _, m := range a.pool.Members() {
		if m.Status.Up() && m.Meta.IsServer() && m.Meta.RaftAddr != "" {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(x, y gossip.Member) int { return strings.Compare(x.Name, y.Name) })
	return out
}

// anyPeerHasCluster asks the other servers' HTTP APIs whether they already
// have Raft peers: if one does, bootstrapping here would split the cluster.
func (a *Agent) anyPeerHasCluster(servers []gossip.Member) bool {
	client := &http.Client{Timeout: 2 * time.Second}
	for _, m := range servers {
		if m.Name == a.cfg.NodeName || m.Meta.HTTPAddr == "" {
			continue
		}
		resp, err := client.Get("http://" + m.Meta.HTTPAddr + "/v1/status/peers")
		if err != nil {
			continue
		}
		var peers []string
		err = json.NewDecoder(resp.Body).Decode(&peers)
		resp.Body.Close()
		if err == nil && len(peers) > 0 {
			return true
		}
	}
	return false
}

// memberTags are the Consul-style tags /v1/agent/members reports.
func memberTags(m gossip.Member, dc string) map[string]string {
	role := "node"
	if m.Meta.IsServer() {
		role = "consul" // what Consul's clients look for to find servers
	}
	tags := map[string]string{
		"role": role, "dc": dc, "id": m.Meta.ID, "build": m.Meta.Version,
		"roster_role": string(m.Meta.Role),
	}
	if m.Meta.RaftAddr != "" {
		tags["raft_addr"] = m.Meta.RaftAddr
		if _, port, err := net.SplitHostPort(m.Meta.RaftAddr); err == nil {
			tags["port"] = port
		}
	}
	if m.Meta.HTTPAddr != "" {
		tags["http_addr"] = m.Meta.HTTPAddr
	}
	if m.Meta.DNSAddr != "" {
		tags["dns_addr"] = m.Meta.DNSAddr
	}
	return tags
}

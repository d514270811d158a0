package chaos

import (
	"context"
	"errors"

	"github.com/rosterhq/roster/e2e/chaos/cluster"
	"github.com/rosterhq/roster/e2e/chaos/netns"
	"github.com/rosterhq/roster/e2e/chaos/workload"
)

// target lets the nemesis act on a cluster.
type target struct{ c *cluster.Cluster }

func (t target) Nodes() int { return len(t.c.Nodes) }

func (t target) Leader(ctx context.Context) (int, error) {
	l, err := t.c.Leader(ctx)
	if err != nil {
		return 0, err
	}
	return l.Index, nil
}

func (t target) Cut(drops []netns.Drop) error { return t.c.Net.SetDrops(drops) }
func (t target) Heal() error                  { return t.c.Net.Heal() }
func (t target) Kill(i int) error             { return t.c.Nodes[i].Kill() }
func (t target) Pause(i int) error            { return t.c.Nodes[i].Pause() }
func (t target) Resume(i int) error           { return t.c.Nodes[i].Resume() }

func (t target) Restart(ctx context.Context, i int) error {
	return t.c.Nodes[i].Start(ctx)
}

// healAll removes every cut and brings every node back to running: the
// final heal. It also reports nodes that crashed on their own.
func healAll(ctx context.Context, c *cluster.Cluster) (crashed []string, err error) {
	errs := []error{c.Net.Heal()}
	for _, n := range c.Nodes {
		crashed = append(crashed, n.Crashes()...)
		switch n.State() {
		case cluster.Paused:
			errs = append(errs, n.Resume())
		case cluster.Killed:
			errs = append(errs, n.Start(ctx))
		}
		if exited, _ := n.Exited(); exited {
			errs = append(errs, n.Start(ctx))
		}
	}
	return crashed, errors.Join(errs...)
}

// workloadTargets describes the nodes to the workload.
func workloadTargets(c *cluster.Cluster) []workload.Target {
	var out []workload.Target
	for _, n := range c.Nodes {
		out = append(out, workload.Target{Name: n.Name, HTTPAddr: n.HTTPAddr, DNSAddr: n.DNSAddr, Live: n.Live})
	}
	return out
}

package netns

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// chain is the per-namespace chain that holds the current cuts. INPUT jumps
// to it; replacing its contents is one iptables-restore per namespace.
const chain = "ROSTER-CHAOS"

// Drop cuts the link from one host to another in one direction: packets
// From sends To are dropped on arrival, like loss on the wire.
type Drop struct{ From, To int } // indexes into Network.Hosts

// Partition returns the drops that separate the groups from each other
// (both directions); hosts in no group are unaffected.
func Partition(groups ...[]int) []Drop {
	var out []Drop
	for gi, g := range groups {
		for gj, h := range groups {
			if gi == gj {
				continue
			}
			for _, a := range g {
				for _, b := range h {
					out = append(out, Drop{From: a, To: b})
				}
			}
		}
	}
	return out
}

// Isolate returns the drops that cut host i off from every other of n.
func Isolate(i, n int) []Drop {
	var rest []int
	for j := 0; j < n; j++ {
		if j != i {
			rest = append(rest, j)
		}
	}
	return Partition([]int{i}, rest)
}

// rules renders host to's chain for the given drops: one DROP per source
// address it must not hear from, in a stable order.
func rules(drops []Drop, to int, addrs []netip.Addr) string {
	var b strings.Builder
	b.WriteString("*filter\n:" + chain + " - [0:0]\n")
	var from []int
	for _, d := range drops {
		if d.To == to && d.From != to && !slices.Contains(from, d.From) {
			from = append(from, d.From)
		}
	}
	slices.Sort(from)
	for _, f := range from {
		fmt.Fprintf(&b, "-A %s -s %s/32 -j DROP\n", chain, addrs[f])
	}
	b.WriteString("COMMIT\n")
	return b.String()
}

// installChain creates the empty chain and the jump to it.
func installChain(h *Host) error {
	if _, err := inNS(h.NS, nil, "iptables", "-N", chain); err != nil {
		return err
	}
	_, err := inNS(h.NS, nil, "iptables", "-A", "INPUT", "-j", chain)
	return err
}

// SetDrops replaces every host's cuts with exactly drops. An empty list
// heals the network.
func (nw *Network) SetDrops(drops []Drop) error {
	addrs := make([]netip.Addr, len(nw.Hosts))
	for i, h := range nw.Hosts {
		addrs[i] = h.IP
	}
	for _, d := range drops {
		if d.From < 0 || d.From >= len(addrs) || d.To < 0 || d.To >= len(addrs) {
			return fmt.Errorf("netns: drop %d->%d names a host out of range", d.From, d.To)
		}
	}
	var errs []error
	for i, h := range nw.Hosts {
		_, err := inNS(h.NS, []byte(rules(drops, i, addrs)), "iptables-restore", "--noflush")
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Heal removes every cut.
func (nw *Network) Heal() error { return nw.SetDrops(nil) }

// DropCounts returns, per host, the iptables rules currently in its chain
// (for tests and reports).
func (nw *Network) DropCounts() ([]int, error) {
	out := make([]int, len(nw.Hosts))
	for i, h := range nw.Hosts {
		s, err := inNS(h.NS, nil, "iptables", "-S", chain)
		if err != nil {
			return nil, err
		}
		out[i] = strings.Count(s, "-j DROP")
	}
	return out, nil
}

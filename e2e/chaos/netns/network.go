package netns

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// Host is one namespace with one address on the bridge.
type Host struct {
	// Name is the host's short name ("n1"), NS its namespace's name.
	Name string
	NS   string
	IP   netip.Addr
	veth string // the root namespace's end
}

// Command returns a command that runs inside the host's namespace. The
// process it starts is the program itself (ip netns exec execs in place),
// so signals sent to cmd.Process reach the program.
func (h *Host) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", h.NS, name}, args...)...)
}

// Network is one run's bridge and hosts.
type Network struct {
	ID     string
	Bridge string
	// Gateway is the bridge's address: the test process talks to hosts
	// from it, and no firewall rule ever names it.
	Gateway netip.Addr
	Hosts   []*Host
	subnet  int
	fwdRule bool
}

// Create builds a bridge and n hosts named n1..nN. It first removes the
// leftovers of crashed runs. On error, whatever was created is removed.
func Create(n int) (nw *Network, err error) {
	if n < 1 || n > 200 {
		return nil, fmt.Errorf("netns: %d hosts is out of range", n)
	}
	if err := CheckTools(); err != nil {
		return nil, err
	}
	if _, err := CleanLeftovers(); err != nil {
		return nil, err
	}
	nw = &Network{ID: newRunID()}
	nw.Bridge = "rcb" + nw.ID
	err = withLock(func() error {
		entries, err := readEntries()
		if err != nil {
			return err
		}
		addrs, err := output(nil, "ip", "-o", "-4", "addr", "show")
		if err != nil {
			return err
		}
		if nw.subnet, err = pickSubnet(entries, addrs); err != nil {
			return err
		}
		return writeEntry(entry{ID: nw.ID, PID: os.Getpid(), Start: procStart(os.Getpid()), Subnet: nw.subnet, Hosts: n})
	})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, nw.Destroy())
			nw = nil
		}
	}()
	nw.Gateway = nw.addr(1)
	if err := nw.createBridge(); err != nil {
		return nw, err
	}
	for i := 1; i <= n; i++ {
		h := &Host{
			Name: "n" + strconv.Itoa(i),
			NS:   fmt.Sprintf("rc-%s-n%d", nw.ID, i),
			IP:   nw.addr(10 + i),
			veth: fmt.Sprintf("rcv%s%d", nw.ID, i),
		}
		nw.Hosts = append(nw.Hosts, h)
		if err := nw.addHost(h); err != nil {
			return nw, err
		}
	}
	return nw, nil
}

func (nw *Network) addr(last int) netip.Addr {
	return netip.AddrFrom4([4]byte{198, 18, byte(nw.subnet), byte(last)})
}

func (nw *Network) prefix() string { return fmt.Sprintf("198.18.%d.0/24", nw.subnet) }

func (nw *Network) createBridge() error {
	steps := [][]string{
		{"link", "add", nw.Bridge, "type", "bridge"},
		{"addr", "add", nw.Gateway.String() + "/24", "dev", nw.Bridge},
		{"link", "set", nw.Bridge, "up"},
	}
	for _, s := range steps {
		if err := run("ip", s...); err != nil {
			return err
		}
	}
	// With br_netfilter loaded, bridged frames traverse the root
	// namespace's FORWARD chain; a DROP policy there (Docker sets one)
	// would cut every link. Accept our bridge's traffic explicitly then.
	policy, err := output(nil, "iptables", "-S", "FORWARD")
	if err == nil && !strings.Contains(policy, "-P FORWARD ACCEPT") {
		if err := run("iptables", nw.forwardRule("-I")...); err != nil {
			return err
		}
		nw.fwdRule = true
		return withLock(func() error {
			return writeEntry(entry{ID: nw.ID, PID: os.Getpid(), Start: procStart(os.Getpid()), Subnet: nw.subnet, Hosts: len(nw.Hosts), Firewall: true})
		})
	}
	return nil
}

func (nw *Network) forwardRule(op string) []string {
	return []string{op, "FORWARD", "-i", nw.Bridge, "-o", nw.Bridge, "-j", "ACCEPT"}
}

func (nw *Network) addHost(h *Host) error {
	peer := h.veth + "p"
	steps := [][]string{
		{"netns", "add", h.NS},
		{"link", "add", h.veth, "type", "veth", "peer", "name", peer},
		{"link", "set", peer, "netns", h.NS},
		{"link", "set", h.veth, "master", nw.Bridge},
		{"link", "set", h.veth, "up"},
		{"-n", h.NS, "link", "set", peer, "name", "eth0"},
		{"-n", h.NS, "addr", "add", h.IP.String() + "/24", "dev", "eth0"},
		{"-n", h.NS, "link", "set", "eth0", "up"},
		{"-n", h.NS, "link", "set", "lo", "up"},
	}
	for _, s := range steps {
		if err := run("ip", s...); err != nil {
			return err
		}
	}
	return installChain(h)
}

// Destroy kills every process left in the hosts' namespaces and removes
// the namespaces, veths, bridge and registry entry. It is safe to call on
// a partly built network and more than once.
func (nw *Network) Destroy() error {
	if nw == nil {
		return nil
	}
	var errs []error
	for i := range nw.Hosts {
		errs = append(errs, destroyNS(nw.Hosts[i].NS))
	}
	errs = append(errs, destroyByID(nw.ID, nw.fwdRule))
	return errors.Join(errs...)
}

// destroyNS kills the namespace's processes and deletes it (which removes
// the veth pair too). A namespace that does not exist is not an error.
func destroyNS(ns string) error {
	if !nsExists(ns) {
		return nil
	}
	if pids, err := output(nil, "ip", "netns", "pids", ns); err == nil {
		for _, f := range strings.Fields(pids) {
			// Never ourselves: a thread of ours may have visited the namespace.
			if pid, err := strconv.Atoi(f); err == nil && pid != os.Getpid() {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	return run("ip", "netns", "del", ns)
}

func nsExists(ns string) bool {
	_, err := os.Stat("/run/netns/" + ns)
	return err == nil
}

// destroyByID removes a run's root-namespace parts and its registry entry.
func destroyByID(id string, fwdRule bool) error {
	var errs []error
	bridge := "rcb" + id
	if fwdRule {
		_ = run("iptables", "-D", "FORWARD", "-i", bridge, "-o", bridge, "-j", "ACCEPT")
	}
	errs = append(errs, delLink(bridge))
	// Veths whose namespace is gone are gone too; any left (a crash
	// between creating the pair and moving its peer) are removed here.
	links, _ := os.ReadDir("/sys/class/net")
	for _, l := range links {
		if strings.HasPrefix(l.Name(), "rcv"+id) {
			errs = append(errs, delLink(l.Name()))
		}
	}
	errs = append(errs, withLock(func() error { return removeEntry(id) }))
	return errors.Join(errs...)
}

// delLink deletes a link unless it is (or has meanwhile become) absent:
// the kernel removes a veth asynchronously after its namespace goes.
func delLink(name string) error {
	if !linkExists(name) {
		return nil
	}
	if err := run("ip", "link", "del", name); err != nil && linkExists(name) {
		return err
	}
	return nil
}

func linkExists(name string) bool {
	_, err := os.Stat("/sys/class/net/" + name)
	return err == nil
}

// CleanLeftovers removes the namespaces, links and registry entries of
// runs whose owning process has exited, and returns their IDs. Runs still
// in progress are left alone.
func CleanLeftovers() ([]string, error) {
	var dead []entry
	live := map[string]bool{}
	err := withLock(func() error {
		entries, err := readEntries()
		for _, e := range entries {
			if e.alive() {
				live[e.ID] = true
			} else {
				dead = append(dead, e)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	// Namespaces of ours with no live owner (also those whose registry
	// entry was lost) count as dead runs.
	if des, err := os.ReadDir("/run/netns"); err == nil {
		seen := map[string]bool{}
		for _, e := range dead {
			seen[e.ID] = true
		}
		for _, de := range des {
			id, ok := runIDOfNS(de.Name())
			if ok && !live[id] && !seen[id] {
				seen[id] = true
				dead = append(dead, entry{ID: id, Firewall: true})
			}
		}
	}
	var ids []string
	var errs []error
	for _, e := range dead {
		if des, err := os.ReadDir("/run/netns"); err == nil {
			for _, de := range des {
				if id, ok := runIDOfNS(de.Name()); ok && id == e.ID {
					errs = append(errs, destroyNS(de.Name()))
				}
			}
		}
		errs = append(errs, destroyByID(e.ID, e.Firewall))
		ids = append(ids, e.ID)
	}
	return ids, errors.Join(errs...)
}

// runIDOfNS parses "rc-<id>-<host>".
func runIDOfNS(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, "rc-")
	if !ok {
		return "", false
	}
	id, _, ok := strings.Cut(rest, "-")
	return id, ok && len(id) == 6
}

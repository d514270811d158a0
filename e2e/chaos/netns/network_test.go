package netns

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// newTestNetwork builds a real network, or skips unless the chaos suite is
// enabled (ROSTER_CHAOS=1) and we are root.
func newTestNetwork(t *testing.T, n int) *Network {
	t.Helper()
	if os.Getenv("ROSTER_CHAOS") == "" {
		t.Skip("set ROSTER_CHAOS=1 (as root) to build real namespaces")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	nw, err := Create(n)
	if err != nil {
		t.Fatalf("create network: %v", err)
	}
	t.Cleanup(func() {
		if err := nw.Destroy(); err != nil {
			t.Errorf("destroy network: %v", err)
		}
	})
	return nw
}

// listenIn starts a TCP echo-less acceptor on host h's address.
func listenIn(t *testing.T, h *Host) net.Listener {
	t.Helper()
	var ln net.Listener
	err := h.Do(func() (err error) {
		ln, err = net.Listen("tcp", net.JoinHostPort(h.IP.String(), "7000"))
		return err
	})
	if err != nil {
		t.Fatalf("listen in %s: %v", h.Name, err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln
}

// dialFrom connects from host h (or from the root namespace when h is nil).
func dialFrom(h *Host, to *Host) error {
	dial := func() error {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(to.IP.String(), "7000"), 300*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err
	}
	if h == nil {
		return dial()
	}
	return h.Do(dial)
}

func TestNetworkPartitionsAndHeals(t *testing.T) {
	nw := newTestNetwork(t, 3)
	for _, h := range nw.Hosts {
		listenIn(t, h)
	}
	reach := func(from, to int) bool { return dialFrom(nw.Hosts[from], nw.Hosts[to]) == nil }
	for i := range nw.Hosts {
		if err := dialFrom(nil, nw.Hosts[i]); err != nil {
			t.Fatalf("root cannot reach %s: %v", nw.Hosts[i].Name, err)
		}
		for j := range nw.Hosts {
			if i != j && !reach(i, j) {
				t.Fatalf("%s cannot reach %s before any fault", nw.Hosts[i].Name, nw.Hosts[j].Name)
			}
		}
	}

	if err := nw.SetDrops(Isolate(0, 3)); err != nil {
		t.Fatal(err)
	}
	if reach(0, 1) || reach(2, 0) {
		t.Fatal("isolated host still reachable")
	}
	if !reach(1, 2) {
		t.Fatal("the majority side lost its own link")
	}
	if err := dialFrom(nil, nw.Hosts[0]); err != nil {
		t.Fatalf("the test process must still reach an isolated host: %v", err)
	}

	// One way: 1 cannot hear 2. A TCP handshake needs both directions, so
	// both dials fail; the rule sits only on host 1.
	if err := nw.SetDrops([]Drop{{From: 2, To: 1}}); err != nil {
		t.Fatal(err)
	}
	counts, err := nw.DropCounts()
	if err != nil {
		t.Fatal(err)
	}
	if counts[0] != 0 || counts[1] != 1 || counts[2] != 0 {
		t.Fatalf("drop rules per host = %v, want [0 1 0]", counts)
	}
	if reach(2, 1) || !reach(0, 1) {
		t.Fatal("one-way drop cut the wrong links")
	}

	if err := nw.Heal(); err != nil {
		t.Fatal(err)
	}
	if !reach(0, 1) || !reach(2, 1) || !reach(1, 0) {
		t.Fatal("links still cut after heal")
	}
}

func TestCleanLeftoversRemovesDeadRuns(t *testing.T) {
	nw := newTestNetwork(t, 2)
	// Pretend the owner died: rewrite its entry with a PID that is gone.
	err := withLock(func() error {
		return writeEntry(entry{ID: nw.ID, PID: 1 << 30, Subnet: nw.subnet, Hosts: 2})
	})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := CleanLeftovers()
	if err != nil {
		t.Fatalf("clean leftovers: %v", err)
	}
	found := false
	for _, id := range ids {
		found = found || id == nw.ID
	}
	if !found {
		t.Fatalf("CleanLeftovers returned %v, want it to include %s", ids, nw.ID)
	}
	for _, h := range nw.Hosts {
		if nsExists(h.NS) {
			t.Fatalf("namespace %s survived", h.NS)
		}
	}
	if _, err := os.Stat("/sys/class/net/" + nw.Bridge); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("bridge %s survived: %v", nw.Bridge, err)
	}
}

func TestCleanLeftoversSparesLiveRuns(t *testing.T) {
	nw := newTestNetwork(t, 1)
	if _, err := CleanLeftovers(); err != nil {
		t.Fatal(err)
	}
	if !nsExists(nw.Hosts[0].NS) {
		t.Fatal("a live run's namespace was removed")
	}
}

package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"github.com/rosterhq/roster/e2e/chaos/netns"
)

// Ports every agent uses; each namespace has its own address.
const (
	RaftPort   = 8300
	GossipPort = 8301
	HTTPPort   = 8500
	DNSPort    = 8600
)

// State is what the supervisor last did to a node's process.
type State int

// The states.
const (
	Starting State = iota // process started, API not answering yet
	Running
	Paused // SIGSTOP
	Killed // SIGKILL, not restarted yet
)

func (s State) String() string {
	return [...]string{"starting", "running", "paused", "killed"}[s]
}

// readyTimeout bounds how long a (re)started agent may take to answer.
const readyTimeout = 30 * time.Second

// Node is one agent process in its namespace. Its methods are safe for
// concurrent use.
type Node struct {
	Index int
	Name  string
	Host  *netns.Host
	// HTTPAddr and DNSAddr are "ip:port"; DNSAddr is "" without DNS.
	HTTPAddr string
	DNSAddr  string
	RaftAddr string
	LogPath  string
	DataDir  string

	bin  string
	args []string

	mu      sync.Mutex
	proc    *process
	state   State
	epoch   uint64
	starts  int
	crashes []string
}

// Crashes lists the times the agent exited without being killed or
// stopped by the supervisor, with the exit status.
func (n *Node) Crashes() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.crashes...)
}

// Live reports whether the node is running and answering, with the epoch
// of its current liveness state.
func (n *Node) Live() (bool, uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.state == Running, n.epoch
}

// State returns the node's supervisor state.
func (n *Node) State() State {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.state
}

// Starts is how many times the process was started.
func (n *Node) Starts() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.starts
}

func (n *Node) setState(s State) {
	n.state = s
	n.epoch++
}

// Start starts the process and waits until its API (and DNS) answer.
func (n *Node) Start(ctx context.Context) error {
	n.mu.Lock()
	if n.proc != nil && !n.proc.exited() {
		n.mu.Unlock()
		return fmt.Errorf("%s: already running", n.Name)
	}
	var p *process
	onExit := func(err error) {
		n.mu.Lock()
		defer n.mu.Unlock()
		if n.proc == p && n.state != Killed {
			n.crashes = append(n.crashes, fmt.Sprintf("%s exited at %s while %s: %v (see %s)",
				n.Name, time.Now().Format("15:04:05.000"), n.state, err, n.LogPath))
		}
	}
	p, err := startProcess(n.Host.Command(n.bin, n.args...), n.LogPath, onExit)
	if err != nil {
		n.mu.Unlock()
		return fmt.Errorf("%s: %w", n.Name, err)
	}
	n.proc = p
	n.starts++
	n.setState(Starting)
	n.mu.Unlock()

	if err := n.waitReady(ctx, p); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.proc == p && n.state == Starting {
		n.setState(Running)
	}
	return nil
}

// waitReady polls the API (and DNS) until both answer, the process exits,
// or readyTimeout passes.
func (n *Node) waitReady(ctx context.Context, p *process) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		if p.exited() {
			return fmt.Errorf("%s exited while starting (%v); see %s", n.Name, p.err, n.LogPath)
		}
		if n.answers(ctx, client) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer within %s; see %s", n.Name, readyTimeout, n.LogPath)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (n *Node) answers(ctx context.Context, client *http.Client) bool {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+n.HTTPAddr+"/v1/status/leader", nil)
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	if n.DNSAddr == "" {
		return true
	}
	m := new(dns.Msg)
	m.SetQuestion("roster.", dns.TypeSOA)
	c := &dns.Client{Timeout: 500 * time.Millisecond}
	_, _, err = c.ExchangeContext(ctx, m, n.DNSAddr)
	return err == nil
}

// Kill sends SIGKILL and waits for the process to be gone.
func (n *Node) Kill() error {
	n.mu.Lock()
	p := n.proc
	if p == nil {
		n.mu.Unlock()
		return fmt.Errorf("%s: not started", n.Name)
	}
	n.setState(Killed)
	n.mu.Unlock()
	return p.kill()
}

// Pause sends SIGSTOP.
func (n *Node) Pause() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.proc == nil || n.state != Running {
		return fmt.Errorf("%s: cannot pause a node that is %s", n.Name, n.state)
	}
	if err := n.proc.signal(syscall.SIGSTOP); err != nil {
		return fmt.Errorf("%s: %w", n.Name, err)
	}
	n.setState(Paused)
	return nil
}

// Resume sends SIGCONT to a paused node.
func (n *Node) Resume() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.proc == nil || n.state != Paused {
		return fmt.Errorf("%s: cannot resume a node that is %s", n.Name, n.state)
	}
	if err := n.proc.signal(syscall.SIGCONT); err != nil {
		return fmt.Errorf("%s: %w", n.Name, err)
	}
	n.setState(Running)
	return nil
}

// Exited reports whether the current process died on its own (a crash):
// the supervisor never killed it.
func (n *Node) Exited() (bool, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.proc == nil || n.state == Killed || !n.proc.exited() {
		return false, nil
	}
	return true, n.proc.err
}

// stop terminates the process for good.
func (n *Node) stop() error {
	n.mu.Lock()
	p := n.proc
	n.setState(Killed)
	n.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.terminate(5 * time.Second)
}

// errNoLeader is returned by Leader when no node names one.
var errNoLeader = errors.New("no leader known to any live node")

func raftAddr(ip string) string { return net.JoinHostPort(ip, fmt.Sprint(RaftPort)) }

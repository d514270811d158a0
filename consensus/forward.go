package consensus

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// The forwarding RPC: a follower sends writes and read-index requests to
// the leader over the Raft port. Each request is one frame and gets one
// frame back; a connection carries one request at a time and is pooled.
//
//	request:  [op][uint32 length][payload]
//	response: [status][uint32 length][payload]
const (
	opApply     byte = 'A' // payload: encoded command; reply: registry.Result
	opReadIndex byte = 'I' // payload: [1 if consistent]; reply: uint64 index

	statusOK        byte = 0
	statusNotLeader byte = 1
	statusError     byte = 2

	maxFrame         = 8 << 20
	forwardIdle      = 2 * time.Minute
	maxIdlePerLeader = 32
	dialTimeout      = 2 * time.Second
)

// errRemoteNotLeader: the server we forwarded to is no longer the leader,
// and did not act on the request, so it may be retried.
var errRemoteNotLeader = errors.New("forwarded to a server that is not the leader")

func writeFrame(w *bufio.Writer, kind byte, payload []byte) error {
	var hdr [5]byte
	hdr[0] = kind
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(payload)))
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	if _, err := w.Write(payload); err != nil {
		return err
	}
	return w.Flush()
}

func readFrame(r *bufio.Reader) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > maxFrame {
		return 0, nil, fmt.Errorf("frame of %d bytes exceeds %d", n, maxFrame)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, err
	}
	return hdr[0], payload, nil
}

// serveForward answers forwarded requests on one connection until it is
// idle too long, fails, or the node shuts down.
func (n *Node) serveForward(conn net.Conn) {
	n.forwardConns.Add(1)
	defer n.forwardConns.Done()
	defer conn.Close()
	r, w := bufio.NewReader(conn), bufio.NewWriter(conn)
	for {
		_ = conn.SetReadDeadline(time.Now().Add(forwardIdle))
		op, payload, err := readFrame(r)
		if err != nil {
			return
		}
		_ = conn.SetReadDeadline(time.Time{})
		status, reply := n.handleForwarded(op, payload)
		_ = conn.SetWriteDeadline(time.Now().Add(n.cfg.ApplyTimeout))
		if err := writeFrame(w, status, reply); err != nil {
			return
		}
	}
}

func (n *Node) handleForwarded(op byte, payload []byte) (byte, []byte) {
	if !n.IsLeader() {
		return statusNotLeader, nil
	}
	ctx, cancel := context.WithTimeout(n.ctx, n.cfg.ApplyTimeout)
	defer cancel()
	switch op {
	case opApply:
		res, err := n.applyLocal(ctx, payload)
		if errors.Is(err, errLocalNotLeader) {
			return statusNotLeader, nil
		}
		if err != nil {
			return statusError, []byte(err.Error())
		}
		b, _ := res.MarshalBinary()
		return statusOK, b
	case opReadIndex:
		idx, err := n.localReadIndex(ctx, len(payload) == 1 && payload[0] == 1)
		if errors.Is(err, errLocalNotLeader) {
			return statusNotLeader, nil
		}
		if err != nil {
			return statusError, []byte(err.Error())
		}
		return statusOK, binary.BigEndian.AppendUint64(nil, idx)
	}
	return statusError, []byte(fmt.Sprintf("unknown forwarded op %q", op))
}

// pool keeps idle forwarding connections per leader address.
type pool struct {
	mu    sync.Mutex
	idle  map[string][]*fconn
	close bool
}

type fconn struct {
	net.Conn
	r        *bufio.Reader
	w        *bufio.Writer
	lastUsed time.Time
}

func (p *pool) get(addr string) (*fconn, error) {
	p.mu.Lock()
	for l := p.idle[addr]; len(l) > 0; l = p.idle[addr] {
		c := l[len(l)-1]
		p.idle[addr] = l[:len(l)-1]
		// The leader closes connections idle for forwardIdle; never reuse
		// one near that age, or its first request would look ambiguous.
		if time.Since(c.lastUsed) < forwardIdle/2 {
			p.mu.Unlock()
			return c, nil
		}
		c.Close()
	}
	p.mu.Unlock()
	conn, err := dialType(addr, dialTimeout, connForward)
	if err != nil {
		return nil, err
	}
	return &fconn{Conn: conn, r: bufio.NewReader(conn), w: bufio.NewWriter(conn)}, nil
}

func (p *pool) put(addr string, c *fconn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.close || len(p.idle[addr]) >= maxIdlePerLeader {
		c.Close()
		return
	}
	if p.idle == nil {
		p.idle = map[string][]*fconn{}
	}
	p.idle[addr] = append(p.idle[addr], c)
}

func (p *pool) shutdown() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.close = true
	for _, l := range p.idle {
		for _, c := range l {
			c.Close()
		}
	}
	p.idle = nil
}

// errNotSent marks a forwarding failure that happened before the request
// left this node, so the request certainly did not take effect.
type errNotSent struct{ err error }

func (e errNotSent) Error() string { return e.err.Error() }
func (e errNotSent) Unwrap() error { return e.err }

// call sends one request to addr and returns the reply payload.
func (p *pool) call(ctx context.Context, addr string, op byte, payload []byte) ([]byte, error) {
	c, err := p.get(addr)
	if err != nil {
		return nil, errNotSent{fmt.Errorf("dial leader %s: %w", addr, err)}
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(time.Minute)
	}
	_ = c.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
	defer stop()
	if err := writeFrame(c.w, op, payload); err != nil {
		c.Close()
		// A pooled connection the leader already closed fails here; nothing
		// reached the leader, so the caller may retry on a fresh one.
		return nil, errNotSent{fmt.Errorf("send to leader %s: %w", addr, err)}
	}
	status, reply, err := readFrame(c.r)
	if err != nil {
		c.Close()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, fmt.Errorf("%w: no reply from leader %s: %v", ErrUnknownOutcome, addr, err)
	}
	_ = c.SetDeadline(time.Time{})
	c.lastUsed = time.Now()
	p.put(addr, c)
	switch status {
	case statusOK:
		return reply, nil
	case statusNotLeader:
		return nil, errRemoteNotLeader
	default:
		return nil, remoteError(string(reply))
	}
}

// remoteError rebuilds the leader's error, keeping the sentinels callers
// match on.
func remoteError(msg string) error {
	for _, e := range []error{ErrUnknownOutcome, ErrNoLeader, ErrShutdown} {
		if len(msg) >= len(e.Error()) && msg[:len(e.Error())] == e.Error() {
			return fmt.Errorf("leader: %w%s", e, msg[len(e.Error()):])
		}
	}
	return fmt.Errorf("leader: %s", msg)
}

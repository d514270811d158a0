package consensus

import (
	"errors"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// Connection types: the first byte a dialer writes on the Raft port.
const (
	connRaft    byte = 'R'
	connForward byte = 'F'
)

// muxTimeout bounds how long an accepted connection may take to say what it
// is; a silent connection must not pin a goroutine forever.
const muxTimeout = 5 * time.Second

// mux accepts connections on the Raft port and hands each to Raft's stream
// layer or to the forwarding server according to its first byte.
type mux struct {
	ln        net.Listener
	advertise net.Addr
	raftConns chan net.Conn
	forward   func(net.Conn)

	closeOnce sync.Once
	closed    chan struct{}
}

func newMux(ln net.Listener, advertise net.Addr) *mux {
	return &mux{ln: ln, advertise: advertise, raftConns: make(chan net.Conn), closed: make(chan struct{})}
}

// serve accepts until the listener closes.
func (m *mux) serve() {
	for {
		conn, err := m.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		go m.route(conn)
	}
}

func (m *mux) route(conn net.Conn) {
	var b [1]byte
	_ = conn.SetReadDeadline(time.Now().Add(muxTimeout))
	if _, err := conn.Read(b[:]); err != nil {
		conn.Close()
		return
	}
	_ = conn.SetReadDeadline(time.Time{})
	switch b[0] {
	case connRaft:
		select {
		case m.raftConns <- conn:
		case <-m.closed:
			conn.Close()
		}
	case connForward:
		if m.forward != nil {
			m.forward(conn)
			return
		}
		conn.Close()
	default:
		conn.Close()
	}
}

func (m *mux) close() error {
	m.closeOnce.Do(func() { close(m.closed) })
	return m.ln.Close()
}

// streamLayer is the raft.StreamLayer view of the mux.
type streamLayer struct{ m *mux }

var _ raft.StreamLayer = streamLayer{}

func (s streamLayer) Accept() (net.Conn, error) {
	select {
	case c := <-s.m.raftConns:
		return c, nil
	case <-s.m.closed:
		return nil, errors.New("raft transport closed")
	}
}

// Close is a no-op: the mux owns the listener and closes it on Shutdown,
// after Raft has stopped.
func (s streamLayer) Close() error { return nil }

func (s streamLayer) Addr() net.Addr { return s.m.advertise }

func (s streamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	return dialType(string(address), timeout, connRaft)
}

func dialType(address string, timeout time.Duration, kind byte) (net.Conn, error) {
	conn, err := net.DialTimeout("tcp", address, timeout)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Write([]byte{kind}); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

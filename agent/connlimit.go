package agent

import (
	"net"
	"sync"
)

// perClientListener caps concurrent connections from one client IP, so one
// misbehaving client (or a slow-body attack) cannot use up the agent's file
// descriptors. A connection over the cap is closed at once.
type perClientListener struct {
	net.Listener
	max int

	mu     sync.Mutex
	counts map[string]int
}

func limitPerClient(ln net.Listener, max int) net.Listener {
	if max <= 0 {
		return ln
	}
	return &perClientListener{Listener: ln, max: max, counts: map[string]int{}}
}

func (l *perClientListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := clientIP(c.RemoteAddr())
		l.mu.Lock()
		if l.counts[ip] >= l.max {
			l.mu.Unlock()
			c.Close()
			continue
		}
		l.counts[ip]++
		l.mu.Unlock()
		return &countedConn{Conn: c, l: l, ip: ip}, nil
	}
}

func (l *perClientListener) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counts[ip] <= 1 {
		delete(l.counts, ip)
	} else {
		l.counts[ip]--
	}
}

func clientIP(a net.Addr) string {
	if tcp, ok := a.(*net.TCPAddr); ok {
		return tcp.IP.String()
	}
	return a.String()
}

type countedConn struct {
	net.Conn
	l    *perClientListener
	ip   string
	once sync.Once
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.ip) })
	return err
}

package dnsserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"github.com/rosterhq/roster/registry"
)

// Catalog is the read side of the registry the DNS server answers from.
// Both methods must be safe for concurrent use and must not block: they are
// called on every query. *registry.Store implements it.
type Catalog interface {
	// Service returns the healthy instances of a service (name in lower
	// case), or nil when none is registered. A returned view is immutable
	// and a new pointer is returned only when the list changed.
	Service(name string) *registry.ServiceView
	// NodeView returns a node (name in lower case), or nil.
	NodeView(name string) *registry.NodeView
}

var _ Catalog = (*registry.Store)(nil)

// udpReadSize is the UDP read buffer: large enough for any real query,
// EDNS options (cookies, padding) included, whatever UDPSize is.
const udpReadSize = 4096

// packBufSize is the pooled reply buffer; larger (TCP) replies allocate.
const packBufSize = 4096

// sweepInterval is how often unused rotations are forgotten.
const sweepInterval = time.Minute

// ErrServerStarted is returned by Start on a server already started.
var ErrServerStarted = errors.New("dns server already started")

// Server answers DNS queries for the domain from a Catalog. Its methods are
// safe for concurrent use. Start it once; Shutdown stops it for good.
type Server struct {
	cfg     Config
	catalog Catalog
	logger  *slog.Logger

	serviceTTL, nodeTTL uint32
	soa                 *dns.SOA
	ns                  *dns.NS
	soaSection          []dns.RR // shared by replies: never appended to in place
	nsSection           []dns.RR

	rotations sync.Map // rotKey -> *rotation
	randIntN  func(n int) int
	scratch   sync.Pool // *scratch
	packBufs  sync.Pool // *[]byte

	mu      sync.Mutex
	started bool
	servers []*dns.Server
	serving sync.WaitGroup
	stop    chan struct{}
}

// New validates cfg and returns a server answering from catalog. It does
// not listen: see Start.
func New(cfg Config, catalog Catalog) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if catalog == nil {
		return nil, fmt.Errorf("%w: nil catalog", ErrInvalidConfig)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	serial := cfg.SOASerial
	if serial == 0 {
		serial = uint32(time.Now().Unix())
	}
	s := &Server{
		cfg:        cfg,
		catalog:    catalog,
		logger:     logger,
		serviceTTL: seconds(cfg.ServiceTTL),
		nodeTTL:    seconds(cfg.NodeTTL),
		soa:        newSOA(&cfg, serial),
		ns:         newNS(&cfg),
		randIntN:   rand.IntN,
		stop:       make(chan struct{}),
	}
	s.soaSection = []dns.RR{s.soa}
	s.nsSection = []dns.RR{s.ns}
	s.scratch.New = func() any { return &scratch{order: make([]int, 0, 16)} }
	s.packBufs.New = func() any { b := make([]byte, packBufSize); return &b }
	return s, nil
}

// Start serves UDP on pc and TCP on ln (either may be nil, not both) and
// returns once both are accepting queries, or with the error that stopped
// one of them from starting. The server owns pc and ln from then on and
// closes them in Shutdown. Callers bind the sockets, so tests can use port
// 0 and the agent can report bind errors itself; see Listen.
func (s *Server) Start(pc net.PacketConn, ln net.Listener) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return ErrServerStarted
	}
	if pc == nil && ln == nil {
		return errors.New("start dns server: no listener")
	}
	var servers []*dns.Server
	if pc != nil {
		servers = append(servers, &dns.Server{
			PacketConn:   pc,
			Handler:      s,
			UDPSize:      udpReadSize,
			ReadTimeout:  s.cfg.ReadTimeout,
			WriteTimeout: s.cfg.WriteTimeout,
		})
	}
	if ln != nil {
		servers = append(servers, &dns.Server{
			Listener:      newLimitListener(ln, s.cfg.MaxTCPConns),
			Handler:       s,
			ReadTimeout:   s.cfg.ReadTimeout,
			WriteTimeout:  s.cfg.WriteTimeout,
			IdleTimeout:   func() time.Duration { return s.cfg.TCPIdleTimeout },
			MaxTCPQueries: -1, // the default 128 drops a busy client's queued queries
		})
	}
	started := make(chan struct{}, len(servers))
	failed := make(chan error, len(servers))
	for _, srv := range servers {
		srv.NotifyStartedFunc = func() { started <- struct{}{} }
		s.serving.Add(1)
		go func() {
			defer s.serving.Done()
			if err := srv.ActivateAndServe(); err != nil {
				failed <- err
				s.logger.Error("dns server stopped", "addr", listenAddr(srv), "err", err)
			}
		}()
	}
	for range servers {
		select {
		case <-started:
		case err := <-failed:
			// Stop the other server, whether or not it got as far as
			// serving: closing its socket ends its loop either way.
			for _, srv := range servers {
				_ = srv.Shutdown() // "not started" is expected here
			}
			closeAll(pc, ln)
			s.serving.Wait()
			return fmt.Errorf("start dns server: %w", err)
		}
	}
	s.servers, s.started = servers, true
	s.serving.Add(1)
	go s.sweepLoop()
	for _, srv := range servers {
		s.logger.Info("dns server listening", "addr", listenAddr(srv), "domain", s.cfg.Domain)
	}
	return nil
}

// Shutdown stops serving, closes the listeners and waits, at most until ctx
// ends, for queries in flight. It is safe to call more than once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	servers := s.servers
	s.servers = nil
	if s.started && servers != nil {
		close(s.stop)
	}
	s.mu.Unlock()
	var errs []error
	for _, srv := range servers {
		if err := srv.ShutdownContext(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shut down dns %s: %w", listenAddr(srv), err))
		}
	}
	done := make(chan struct{})
	go func() { s.serving.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("shut down dns server: %w", ctx.Err()))
	}
	return errors.Join(errs...)
}

// ServeDNS implements dns.Handler: it answers one query and writes the
// reply to w (or nothing, for a response). The miekg servers call it once per
// query, concurrently; it blocks only on that write. Exported so the server
// can also be mounted on another dns.Server or mux.
func (s *Server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	_, tcp := w.LocalAddr().(*net.TCPAddr)
	resp := s.answer(req, !tcp)
	if resp == nil {
		return
	}
	bp := s.packBufs.Get().(*[]byte)
	defer s.packBufs.Put(bp)
	b, err := resp.PackBuffer(*bp)
	if err != nil {
		// Only a bug gets here; say so rather than leave the client hanging.
		s.logger.Error("pack dns reply", "question", req.Question, "err", err)
		fail := new(dns.Msg)
		fail.SetRcode(req, dns.RcodeServerFailure)
		if b, err = fail.PackBuffer(*bp); err != nil {
			return
		}
	}
	if _, err := w.Write(b); err != nil {
		s.logger.Debug("write dns reply", "remote", w.RemoteAddr(), "err", err)
	}
}

func (s *Server) sweepLoop() {
	defer s.serving.Done()
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.sweep()
		case <-s.stop:
			return
		}
	}
}

func closeAll(pc net.PacketConn, ln net.Listener) {
	if pc != nil {
		pc.Close()
	}
	if ln != nil {
		ln.Close()
	}
}

func listenAddr(srv *dns.Server) string {
	if srv.PacketConn != nil {
		return "udp/" + srv.PacketConn.LocalAddr().String()
	}
	return "tcp/" + srv.Listener.Addr().String()
}

// Listen binds UDP and TCP on addr (host:port) for Start. With port 0 both
// get the same free port.
func Listen(addr string) (net.PacketConn, net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen dns %s: %w", addr, err)
	}
	for try := 0; ; try++ {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("listen dns udp %s: %w", addr, err)
		}
		tcpAddr := addr
		if port == "0" {
			tcpAddr = net.JoinHostPort(host, strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port))
		}
		ln, err := net.Listen("tcp", tcpAddr)
		if err == nil {
			return pc, ln, nil
		}
		pc.Close()
		// A free UDP port may be taken for TCP: draw another.
		if port != "0" || try == 10 || !errors.Is(err, syscall.EADDRINUSE) {
			return nil, nil, fmt.Errorf("listen dns tcp %s: %w", tcpAddr, err)
		}
	}
}

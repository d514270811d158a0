package chaos

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/rosterhq/roster/e2e/chaos/cluster"
)

// Hardening limits the probes expect (issue 7, item 6). They mirror the
// agent's settings; a probe failing means a limit went missing or grew.
const (
	httpReadHeaderTimeout = 10 * time.Second
	httpMaxBody           = 1 << 20
	kvMaxValue            = 512 << 10
	httpMaxHeader         = 64 << 10
	dnsReadTimeout        = 2 * time.Second // first query on a TCP connection
	dnsTCPIdle            = 8 * time.Second // between queries
	dnsMaxTCPConns        = 4               // set by flag for the probe
	dnsUDPSize            = 1232
)

// TestHardening probes one real agent's HTTP and DNS servers with
// misbehaving clients: slow headers, oversized bodies and headers, idle and
// excess DNS TCP connections, many queries on one TCP connection, and
// oversized UDP buffers. Each probe is bounded and they run in parallel.
func TestHardening(t *testing.T) {
	requireChaos(t)
	opts, err := optionsFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	opts.Nodes = 1
	dir := runDir(t, opts)
	bin := opts.Binary
	if bin == "" {
		if bin, err = cluster.Build(ctx, dir); err != nil {
			t.Fatal(err)
		}
	}
	c, err := cluster.Start(ctx, cluster.Options{Binary: bin, Nodes: 1, Dir: filepath.Join(dir, "hardening"),
		ExtraArgs: []string{"--dns-max-tcp-conns", fmt.Sprint(dnsMaxTCPConns)}})
	if err != nil {
		t.Fatalf("start agent (logs in %s): %v", dir, err)
	}
	t.Cleanup(func() { c.Close() })
	n := c.Nodes[0]
	if n.DNSAddr == "" {
		t.Fatal("the agent serves no DNS")
	}

	t.Run("http", func(t *testing.T) {
		t.Run("slow headers are cut off", func(t *testing.T) {
			t.Parallel()
			conn := mustDial(t, "tcp", n.HTTPAddr)
			io.WriteString(conn, "GET /v1/status/leader HTTP/1.1\r\nHost: x\r\n") // never finished
			closedWithin(t, conn, httpReadHeaderTimeout+3*time.Second)
		})
		t.Run("oversized body is refused with 413", func(t *testing.T) {
			t.Parallel()
			body := `{"Name":"big","Meta":{"x":"` + strings.Repeat("a", httpMaxBody) + `"}}`
			if got := status(t, http.MethodPut, "http://"+n.HTTPAddr+"/v1/agent/service/register", body); got != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413", got)
			}
		})
		t.Run("oversized KV value is refused with 413", func(t *testing.T) {
			t.Parallel()
			if got := status(t, http.MethodPut, "http://"+n.HTTPAddr+"/v1/kv/hardening/big", strings.Repeat("v", kvMaxValue+1)); got != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413", got)
			}
		})
		t.Run("oversized headers are refused with 431", func(t *testing.T) {
			t.Parallel()
			conn := mustDial(t, "tcp", n.HTTPAddr)
			fmt.Fprintf(conn, "GET /v1/status/leader HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", strings.Repeat("h", 2*httpMaxHeader))
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			line, err := bufio.NewReader(conn).ReadString('\n')
			if err != nil || !strings.Contains(line, "431") {
				t.Fatalf("status line %q, %v; want 431", line, err)
			}
		})
	})

	t.Run("dns", func(t *testing.T) {
		t.Run("a silent TCP client is cut off", func(t *testing.T) {
			t.Parallel()
			closedWithin(t, mustDial(t, "tcp", n.DNSAddr), dnsReadTimeout+3*time.Second)
		})
		t.Run("an idle TCP connection is closed", func(t *testing.T) {
			t.Parallel()
			conn := &dns.Conn{Conn: mustDial(t, "tcp", n.DNSAddr)}
			exchangeOn(t, conn, "web.service.roster.")
			closedWithin(t, conn.Conn, dnsTCPIdle+3*time.Second)
		})
		t.Run("500 pipelined queries on one TCP connection", func(t *testing.T) {
			t.Parallel()
			conn := &dns.Conn{Conn: mustDial(t, "tcp", n.DNSAddr)}
			conn.SetDeadline(time.Now().Add(20 * time.Second))
			const total = 500
			go func() {
				for i := 0; i < total; i++ {
					m := new(dns.Msg)
					m.SetQuestion("web.service.roster.", dns.TypeA)
					m.Id = uint16(i + 1)
					if conn.WriteMsg(m) != nil {
						return
					}
				}
			}()
			for i := 0; i < total; i++ {
				if _, err := conn.ReadMsg(); err != nil {
					t.Fatalf("answer %d of %d: %v (a per-connection query cap drops the rest)", i+1, total, err)
				}
			}
		})
		t.Run("UDP answers are capped at the configured size", func(t *testing.T) {
			t.Parallel()
			m := new(dns.Msg)
			m.SetQuestion("roster.", dns.TypeSOA)
			m.SetEdns0(65000, false)
			r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(m, n.DNSAddr)
			if err != nil {
				t.Fatal(err)
			}
			if opt := r.IsEdns0(); opt == nil || opt.UDPSize() > dnsUDPSize {
				t.Fatalf("reply advertises EDNS0 %v, want at most %d", opt, dnsUDPSize)
			}
		})
	})

	// Sequential: it fills the TCP connection slots, which other probes use.
	t.Run("dns TCP connections are bounded and UDP still answers", func(t *testing.T) {
		var hogs []net.Conn
		for i := 0; i < dnsMaxTCPConns+4; i++ {
			hogs = append(hogs, mustDial(t, "tcp", n.DNSAddr)) // connect, say nothing
		}
		m := new(dns.Msg)
		m.SetQuestion("web.service.roster.", dns.TypeA)
		if _, _, err := (&dns.Client{Timeout: time.Second}).Exchange(m, n.DNSAddr); err != nil {
			t.Fatalf("UDP query while TCP slots are full: %v", err)
		}
		// The hogs are cut off after the read timeout, so a new TCP client
		// is served within about that long.
		start := time.Now()
		tcp := &dns.Client{Net: "tcp", Timeout: 2*dnsReadTimeout + 3*time.Second}
		if _, _, err := tcp.Exchange(m, n.DNSAddr); err != nil {
			t.Fatalf("TCP query behind %d silent connections: %v after %s", len(hogs), err, time.Since(start))
		}
		t.Logf("TCP query served %s after %d silent connections filled %d slots", time.Since(start).Round(time.Millisecond), len(hogs), dnsMaxTCPConns)
		for _, h := range hogs {
			h.Close()
		}
	})

	t.Run("still healthy afterwards", func(t *testing.T) {
		if got := status(t, http.MethodGet, "http://"+n.HTTPAddr+"/v1/status/leader", ""); got != http.StatusOK {
			t.Fatalf("status %d", got)
		}
		if exited, err := n.Exited(); exited {
			t.Fatalf("agent died: %v (log %s)", err, n.LogPath)
		}
	})
	if t.Failed() {
		t.Logf("agent log: %s", n.LogPath)
	} else if os.Getenv("ROSTER_CHAOS_DIR") == "" {
		os.RemoveAll(dir)
	}
}

func mustDial(t *testing.T, network, addr string) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout(network, addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// closedWithin fails unless the server closes conn within limit.
func closedWithin(t *testing.T, conn net.Conn, limit time.Duration) {
	t.Helper()
	start := time.Now()
	conn.SetReadDeadline(start.Add(limit))
	_, err := io.Copy(io.Discard, conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("connection still open after %s", limit)
	}
	t.Logf("closed by the server after %s", time.Since(start).Round(100*time.Millisecond))
}

func exchangeOn(t *testing.T, conn *dns.Conn, name string) {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	conn.SetDeadline(time.Now().Add(3 * time.Second))
	if err := conn.WriteMsg(m); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ReadMsg(); err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Time{})
}

func status(t *testing.T, method, url, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

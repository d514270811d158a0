package workload

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestWriteOutcome(t *testing.T) {
	tests := []struct {
		name string
		r    response
		want Outcome
	}{
		{"acknowledged", response{status: 200, body: []byte("true\n"), sent: true}, OK},
		{"refused before sending", response{err: errors.New("connection refused")}, Fail},
		{"reset after sending", response{err: errors.New("connection reset"), sent: true}, Unknown},
		{"no leader", response{status: 503, body: []byte("no cluster leader: none elected within 7s\n"), sent: true}, Fail},
		{"outcome unknown", response{status: 503, body: []byte("write outcome unknown: leadership lost\n"), sent: true}, Unknown},
		{"shutting down", response{status: 503, body: []byte("agent is shutting down\n"), sent: true}, Unknown},
		{"not found", response{status: 404, sent: true}, Fail},
		{"server fault", response{status: 500, sent: true}, Unknown},
		{"body cut short", response{status: 200, err: io.ErrUnexpectedEOF, sent: true}, Unknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.writeOutcome(); got != tc.want {
				t.Fatalf("outcome %s, want %s", got, tc.want)
			}
		})
	}
}

// fakeAgent is a linearizable in-memory stand-in for roster's KV and
// registration endpoints.
type fakeAgent struct {
	mu    sync.Mutex
	index uint64
	kv    map[string]kvEntry
	svcs  map[string]bool
}

func (f *fakeAgent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case strings.HasPrefix(r.URL.Path, "/v1/kv/"):
		key := strings.TrimPrefix(r.URL.Path, "/v1/kv/")
		e, ok := f.kv[key]
		switch r.Method {
		case http.MethodGet:
			if !ok {
				w.WriteHeader(http.StatusNotFound)
				return
			}
			json.NewEncoder(w).Encode([]kvEntry{e})
		case http.MethodPut:
			body, _ := io.ReadAll(r.Body)
			if c := r.URL.Query().Get("cas"); c != "" {
				idx, _ := strconv.ParseUint(c, 10, 64)
				if idx == 0 && ok || idx != 0 && (!ok || e.ModifyIndex != idx) {
					io.WriteString(w, "false")
					return
				}
			}
			f.index++
			f.kv[key] = kvEntry{Key: key, Value: body, ModifyIndex: f.index}
			io.WriteString(w, "true")
		case http.MethodDelete:
			delete(f.kv, key)
			io.WriteString(w, "true")
		}
	case r.URL.Path == "/v1/agent/service/register":
		var def struct{ ID string }
		json.NewDecoder(r.Body).Decode(&def)
		f.svcs[def.ID] = true
	case strings.HasPrefix(r.URL.Path, "/v1/agent/service/deregister/"):
		id := strings.TrimPrefix(r.URL.Path, "/v1/agent/service/deregister/")
		if !f.svcs[id] {
			http.Error(w, "unknown service ID", http.StatusNotFound)
			return
		}
		delete(f.svcs, id)
	default:
		http.NotFound(w, r)
	}
}

func startDNS(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeNameError)
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

func TestWorkloadRecordsHistory(t *testing.T) {
	fa := &fakeAgent{kv: map[string]kvEntry{}, svcs: map[string]bool{}}
	srv := httptest.NewServer(fa)
	defer srv.Close()
	dnsAddr := startDNS(t)
	live := func() (bool, uint64) { return true, 1 }
	targets := []Target{
		{Name: "n1", HTTPAddr: strings.TrimPrefix(srv.URL, "http://"), DNSAddr: dnsAddr, Live: live},
		{Name: "n2", HTTPAddr: strings.TrimPrefix(srv.URL, "http://"), DNSAddr: dnsAddr, Live: live},
	}
	cfg := DefaultConfig(targets, "t1", 1)
	cfg.KVRate, cfg.RegRate, cfg.DNSRate = 100, 50, 100
	w := Start(cfg)
	time.Sleep(500 * time.Millisecond) // let the load run; nothing is asserted on timing
	w.Stop()
	w.FinalReads(context.Background())

	h := w.History()
	counts := h.Counts()
	for _, k := range []string{"get ok", "put ok", "register ok", "dns ok"} {
		if counts[k] == 0 {
			t.Errorf("no %q operations recorded: %v", k, counts)
		}
	}
	for _, op := range h.KV() {
		if op.Outcome != OK {
			t.Fatalf("against a healthy server %s %s ended %s: %s", op.Kind, op.Key, op.Outcome, op.Err)
		}
		if op.Return < op.Call {
			t.Fatalf("op returned before its call: %+v", op)
		}
	}
	finals := 0
	for _, op := range h.KV() {
		if op.Final {
			finals++
		}
	}
	if finals != len(cfg.AllKeys())*len(targets) {
		t.Fatalf("%d final reads, want %d", finals, len(cfg.AllKeys())*len(targets))
	}
	if u := h.Unexpected(); len(u) > 0 {
		t.Fatalf("unexpected failures: %v", u)
	}
	if d := h.DNS(); d[0].Good == 0 || d[0].Availability() != 1 {
		t.Fatalf("dns stats %+v", d[0])
	}
}

func TestDNSDiscardsQueriesSpanningAStateChange(t *testing.T) {
	h := NewHistory([]string{"n1"})
	var mu sync.Mutex
	epoch := uint64(1)
	p := &dnsProber{h: h, target: Target{Live: func() (bool, uint64) {
		mu.Lock()
		defer mu.Unlock()
		return true, epoch
	}}}
	m := new(dns.Msg)
	m.Rcode = dns.RcodeServerFailure
	p.count(m, nil, 1, 0, "web.service.roster.", dns.TypeA)
	mu.Lock()
	epoch = 2
	mu.Unlock()
	p.count(nil, errors.New("i/o timeout"), 1, 0, "web.service.roster.", dns.TypeA)
	s := h.DNS()[0]
	if s.Queries != 1 || s.ServFail != 1 || s.Discarded != 1 || len(s.Failures) != 1 {
		t.Fatalf("stats %+v", s)
	}
}

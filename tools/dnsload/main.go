// Command dnsload measures roster's DNS server against a bare miekg/dns
// server in one run. It registers -instances instances in an in-memory
// registry (a handful for the queried service "web", the rest spread over
// other services), starts roster's dnsserver and a bare server that answers
// the very records roster answered from a map, both on loopback UDP, and
// then sends queries from -clients concurrent clients for -duration to
// each in turn, -rounds times. It prints QPS, p50/p99 latency and the
// roster/bare QPS ratio per round, and their medians and ranges.
//
//	go run ./tools/dnsload -instances 100000 -clients 16 -duration 2s -rounds 6
//
// With -serve it only starts both servers, prints their addresses and
// serves for -duration, for dnsperf, dig or kdig.
//
// All traffic goes to 127.0.0.1; every loop is bounded by -duration.
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/rosterhq/roster/dnsserver"
	"github.com/rosterhq/roster/registry"
)

func main() {
	var (
		instances = flag.Int("instances", 10, "registered instances in total (the queried service has -web of them)")
		web       = flag.Int("web", 3, "instances of the queried service web (weights 5,1,1,1,...)")
		clients   = flag.Int("clients", 16, "concurrent UDP clients, one query in flight each")
		duration  = flag.Duration("duration", 2*time.Second, "load time per server per round (or serve time with -serve)")
		rounds    = flag.Int("rounds", 6, "rounds; each loads both servers, alternating which goes first")
		qtypeName = flag.String("qtype", "A", "query type: A or SRV")
		serve     = flag.Bool("serve", false, "only serve for -duration, printing the addresses")
		profile   = flag.String("cpuprofile", "", "write a CPU profile of the whole run (servers and clients) to this file")
	)
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	qtype, ok := dns.StringToType[strings.ToUpper(*qtypeName)]
	if !ok || *instances < *web || *web < 1 || *clients < 1 || *rounds < 1 {
		flag.Usage()
		os.Exit(2)
	}
	qname := "web.service.roster."
	if qtype == dns.TypeSRV {
		qname = "_web._tcp.service.roster."
	}

	start := time.Now()
	store := populate(*instances, *web)
	fmt.Printf("registered %d instances (%d of web) in %v\n", *instances, *web, time.Since(start).Round(time.Millisecond))

	rosterAddr, stopRoster := startRoster(store)
	defer stopRoster()
	bareAddr, stopBare := startBare(rosterAddr, qname, qtype)
	defer stopBare()

	if *serve {
		fmt.Printf("roster %s\nbare   %s\nserving for %v\n", rosterAddr, bareAddr, *duration)
		time.Sleep(*duration)
		return
	}

	query := packQuery(qname, qtype)
	want := answerCount(rosterAddr, query)
	fmt.Printf("query %s %s: %d answers; %d clients, %v per server per round, %d rounds\n",
		qname, dns.TypeToString[qtype], want, *clients, *duration, *rounds)
	var rq, bq, ratios []float64
	var rl, bl []time.Duration
	for r := 1; r <= *rounds; r++ {
		// Alternate which server goes first, so drift in the machine's
		// load (other processes, GC, thermal) hits both alike.
		var ro, ba result
		if r%2 == 1 {
			ro = load(rosterAddr, query, want, *clients, *duration)
			ba = load(bareAddr, query, want, *clients, *duration)
		} else {
			ba = load(bareAddr, query, want, *clients, *duration)
			ro = load(rosterAddr, query, want, *clients, *duration)
		}
		fmt.Printf("round %2d  roster %s\n          bare   %s\n          ratio  %.3f\n", r, ro, ba, ro.qps/ba.qps)
		rq, bq, ratios = append(rq, ro.qps), append(bq, ba.qps), append(ratios, ro.qps/ba.qps)
		rl, bl = append(rl, ro.lats...), append(bl, ba.lats...)
	}
	fmt.Printf("summary (instances %d, %d rounds):\n", *instances, *rounds)
	fmt.Printf("  roster qps median %.0f (min %.0f, max %.0f)  latency %s\n", median(rq), slices.Min(rq), slices.Max(rq), percentiles(rl))
	fmt.Printf("  bare   qps median %.0f (min %.0f, max %.0f)  latency %s\n", median(bq), slices.Min(bq), slices.Max(bq), percentiles(bl))
	fmt.Printf("  ratio roster/bare: median %.3f (min %.3f, max %.3f)\n", median(ratios), slices.Min(ratios), slices.Max(ratios))
}

// populate builds a registry with web instances of "web" (weights 5,1,1,...)
// and the rest of total as single instances of other services, spread over
// 1000 nodes.
func populate(total, web int) *registry.Store {
	s := registry.NewStore(nil)
	var index uint64
	apply := func(cmd registry.Command) {
		index++
		if res := s.ApplyCommand(index, cmd); res.Err != nil {
			log.Fatalf("apply: %v", res.Err)
		}
	}
	for i := range web {
		w := 1
		if i == 0 {
			w = 5
		}
		apply(&registry.RegisterService{
			Node:     registry.Node{Name: fmt.Sprintf("web%d", i), Address: fmt.Sprintf("10.0.0.%d", i+1)},
			Instance: registry.Instance{ID: "web", Name: "web", Port: 8080, Weights: registry.Weights{Passing: w, Warning: 1}},
		})
	}
	for i := range total - web {
		apply(&registry.RegisterService{
			Node: registry.Node{Name: fmt.Sprintf("node%d", i%1000), Address: fmt.Sprintf("10.1.%d.%d", i%1000/250, i%250+1)},
			Instance: registry.Instance{ID: fmt.Sprintf("i%d", i), Name: fmt.Sprintf("svc%d", i%(total/2+1)),
				Port: 9000, Weights: registry.DefaultWeights},
		})
	}
	return s
}

func startRoster(store *registry.Store) (string, func()) {
	pc, ln, err := dnsserver.Listen("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	s, err := dnsserver.New(dnsserver.DefaultConfig(), store)
	if err != nil {
		log.Fatal(err)
	}
	if err := s.Start(pc, ln); err != nil {
		log.Fatal(err)
	}
	return pc.LocalAddr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	}
}

// startBare starts a plain miekg/dns server answering, from a map, the
// records roster answers for qname (in the first order roster gave).
func startBare(rosterAddr, qname string, qtype uint16) (string, func()) {
	req := new(dns.Msg)
	req.SetQuestion(qname, qtype)
	resp, _, err := (&dns.Client{}).Exchange(req, rosterAddr)
	if err != nil {
		log.Fatalf("ask roster for the bare server's records: %v", err)
	}
	type rrsets struct{ answer, extra []dns.RR }
	records := map[string]rrsets{strings.ToLower(qname): {resp.Answer, resp.Extra}}
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		m.Authoritative = true
		if len(req.Question) == 1 {
			set, ok := records[strings.ToLower(req.Question[0].Name)]
			if !ok {
				m.Rcode = dns.RcodeNameError
			}
			m.Answer, m.Extra = set.answer, set.extra
		}
		w.WriteMsg(m)
	})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: handler, UDPSize: 4096, NotifyStartedFunc: func() { close(started) }}
	go func() {
		if err := srv.ActivateAndServe(); err != nil {
			log.Printf("bare server: %v", err)
		}
	}()
	<-started
	return pc.LocalAddr().String(), func() { srv.Shutdown() }
}

func packQuery(qname string, qtype uint16) []byte {
	m := new(dns.Msg)
	m.SetQuestion(qname, qtype)
	b, err := m.Pack()
	if err != nil {
		log.Fatal(err)
	}
	return b
}

// answerCount asks addr once and returns the reply's ANCOUNT.
func answerCount(addr string, query []byte) int {
	m := new(dns.Msg)
	if err := m.Unpack(query); err != nil {
		log.Fatal(err)
	}
	resp, _, err := (&dns.Client{}).Exchange(m, addr)
	if err != nil {
		log.Fatalf("probe %s: %v", addr, err)
	}
	return len(resp.Answer)
}

type result struct {
	qps     float64
	lats    []time.Duration // sorted
	queries int
	errors  int
}

func (r result) String() string {
	return fmt.Sprintf("%8.0f qps  %s  (%d queries, %d errors)", r.qps, percentiles(r.lats), r.queries, r.errors)
}

// percentiles formats p50, p99 and max of lats, sorting it.
func percentiles(lats []time.Duration) string {
	slices.Sort(lats)
	n := len(lats)
	if n == 0 {
		return "no replies"
	}
	us := func(d time.Duration) string { return fmt.Sprintf("%.0fµs", float64(d)/1e3) }
	return fmt.Sprintf("p50 %-7s p99 %-7s max %-8s", us(lats[n/2]), us(lats[n*99/100]), us(lats[n-1]))
}

// load runs clients closed-loop clients against addr for d. Each has its
// own socket and one query in flight; a reply must carry the query's ID and
// want answers, else it counts as an error.
func load(addr string, query []byte, want, clients int, d time.Duration) result {
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		lats    []time.Duration
		errs    int
		started = time.Now()
		end     = started.Add(d)
	)
	for c := range clients {
		wg.Go(func() {
			conn, err := net.Dial("udp", addr)
			if err != nil {
				log.Fatal(err)
			}
			defer conn.Close()
			q := slices.Clone(query)
			buf := make([]byte, 65535)
			mine := make([]time.Duration, 0, 1<<16)
			bad := 0
			id := uint16(c) << 10
			for time.Now().Before(end) {
				id++
				binary.BigEndian.PutUint16(q, id)
				t0 := time.Now()
				if _, err := conn.Write(q); err != nil {
					bad++
					continue
				}
				conn.SetReadDeadline(t0.Add(time.Second))
				for {
					n, err := conn.Read(buf)
					if err != nil {
						bad++
						break
					}
					if n < 12 || binary.BigEndian.Uint16(buf) != id {
						continue // a late reply to an earlier, timed-out query
					}
					if int(binary.BigEndian.Uint16(buf[6:])) != want || buf[3]&0xF != 0 {
						bad++
					} else {
						mine = append(mine, time.Since(t0))
					}
					break
				}
			}
			mu.Lock()
			lats = append(lats, mine...)
			errs += bad
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(started)
	slices.Sort(lats)
	return result{lats: lats, queries: len(lats), errors: errs, qps: float64(len(lats)) / elapsed.Seconds()}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

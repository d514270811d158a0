package agent_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rosterhq/roster/agent/agenttest"
)

// BenchmarkRegisterHTTP measures registrations per second on one node
// through the HTTP API: each op is a PUT of a new instance, acknowledged
// after its Raft commit (fsync'd by raft-boltdb). Clients run in parallel
// (-cpu sets how many goroutines; RunParallel multiplies by GOMAXPROCS
// through SetParallelism).
func BenchmarkRegisterHTTP(b *testing.B) {
	for _, clients := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			a := agenttest.Start(b, agenttest.Config(b, "bench", b.TempDir()))
			url := "http://" + a.HTTPAddr() + "/v1/agent/service/register"
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
			var seq atomic.Int64
			b.ResetTimer()
			runClients(b, clients, func() {
				n := seq.Add(1)
				body := fmt.Sprintf(`{"Name":"web","ID":"web-%d","Port":%d,"Tags":["v1"]}`, n, 1000+n%60000)
				req, _ := http.NewRequest("PUT", url, strings.NewReader(body))
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Errorf("status %d", resp.StatusCode)
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "regs/s")
		})
	}
}

// runClients runs b.N calls of op spread over n goroutines.
func runClients(b *testing.B, n int, op func()) {
	var next atomic.Int64
	done := make(chan struct{})
	for i := 0; i < n; i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for next.Add(1) <= int64(b.N) {
				op()
			}
		}()
	}
	for i := 0; i < n; i++ {
		<-done
	}
}

// BenchmarkFsyncBaseline measures the disk the benchmarks write to: one
// 4 KiB write plus fsync per op. Raft commits need at least one fsync, so
// regs/s above divided by fsyncs/s here shows how well commits are batched
// (above 1: several registrations share one fsync).
func BenchmarkFsyncBaseline(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "fsync"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fsyncs/s")
}

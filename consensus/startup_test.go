package consensus

import (
	"bufio"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/registry"
)

// TestForwardedRequestsDuringStartup is a regression test for a crash the
// chaos suite found: a restarted server got forwarded requests on its Raft
// port before Raft itself was constructed and dereferenced a nil *raft.Raft.
// Requests that arrive while the node starts must wait or be refused.
func TestForwardedRequestsDuringStartup(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	addr := "127.0.0.1:" + strconv.Itoa(port)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				conn, err := dialType(addr, 100*time.Millisecond, connForward)
				if err != nil {
					continue
				}
				w := bufio.NewWriter(conn)
				for i := 0; i < 20; i++ {
					if writeFrame(w, opReadIndex, []byte{1}) != nil {
						break
					}
				}
				conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
				readFrame(bufio.NewReader(conn))
				conn.Close()
			}
		}()
	}
	for i := 0; i < 5; i++ {
		dir := t.TempDir()
		cfg := testConfig(t, "n1", dir)
		cfg.BindAddr = addr
		cfg.BootstrapSelf = true
		// Restart on existing state too: the window is widest while Raft
		// replays its log.
		for j := 0; j < 2; j++ {
			n, err := New(cfg, registry.NewStore(nil))
			if err != nil {
				t.Fatal(err)
			}
			n.Shutdown()
		}
	}
	close(stop)
	wg.Wait()
}

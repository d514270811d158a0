package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"
)

// load keeps the machine's cores busy while the cluster runs. Every kind
// stops by itself when ctx ends; child processes also exit when their
// stdin (a pipe from us) closes, so they never outlive the bench.
type load struct {
	wg    sync.WaitGroup
	procs []*exec.Cmd
	pipes []io.Closer
	sink  atomic.Uint64 // keeps the spin loops from being optimized away
	udpRT atomic.Uint64 // UDP round trips done
}

// startLoad starts cpu goroutines spinning in this process, procs child
// processes spinning, and udp ping-pong clients against a loopback echo
// server (a stand-in for a DNS server answering a flood of queries).
func startLoad(ctx context.Context, cpu, procs, udp int) (*load, error) {
	l := &load{}
	for range cpu {
		l.wg.Add(1)
		go l.spin(ctx)
	}
	for range procs {
		cmd := exec.CommandContext(ctx, os.Args[0], "-burner")
		w, err := cmd.StdinPipe()
		if err != nil {
			return nil, fmt.Errorf("burner pipe: %w", err)
		}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("start burner: %w", err)
		}
		l.procs = append(l.procs, cmd)
		l.pipes = append(l.pipes, w)
	}
	if udp > 0 {
		if err := l.startUDP(ctx, udp); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func (l *load) spin(ctx context.Context) {
	defer l.wg.Done()
	x := uint64(1)
	for ctx.Err() == nil {
		for range 1 << 20 {
			x = x*6364136223846793005 + 1442695040888963407
		}
		l.sink.Add(x & 1)
	}
}

func (l *load) startUDP(ctx context.Context, clients int) error {
	srv, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("udp load server: %w", err)
	}
	go func() { <-ctx.Done(); srv.Close() }()
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		buf := make([]byte, 512)
		for {
			n, from, err := srv.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = srv.WriteTo(buf[:n], from)
		}
	}()
	for range clients {
		c, err := net.Dial("udp", srv.LocalAddr().String())
		if err != nil {
			return fmt.Errorf("udp load client: %w", err)
		}
		go func() { <-ctx.Done(); c.Close() }()
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			q := make([]byte, 64) // about a DNS query
			buf := make([]byte, 512)
			for ctx.Err() == nil {
				_ = c.SetDeadline(time.Now().Add(100 * time.Millisecond))
				if _, err := c.Write(q); err != nil {
					continue
				}
				if _, err := c.Read(buf); err == nil {
					l.udpRT.Add(1)
				}
			}
		}()
	}
	return nil
}

// stop waits for the goroutines and child processes; ctx must be done.
func (l *load) stop() {
	for _, p := range l.pipes {
		p.Close()
	}
	for _, c := range l.procs {
		_ = c.Wait()
	}
	l.wg.Wait()
}

// burn is the child process's body: spin until stdin closes.
func burn() {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	l := &load{}
	l.wg.Add(1)
	l.spin(ctx)
}

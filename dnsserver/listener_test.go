package dnsserver

import (
	"errors"
	"net"
	"testing"
)

func TestLimitListener(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := newLimitListener(inner, 2)
	dial := func() net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	accept := func() net.Conn {
		t.Helper()
		c, err := l.Accept()
		if err != nil {
			t.Fatalf("accept: %v", err)
		}
		return c
	}
	dial()
	dial()
	a, b := accept(), accept()
	if n := len(l.slots); n != 2 {
		t.Fatalf("%d slots taken after two accepts, want 2", n)
	}
	// A third Accept waits for a slot; closing a connection (twice, as
	// miekg and a deferred close may) frees exactly one.
	got := make(chan net.Conn)
	go func() {
		c, err := l.Accept()
		if err != nil {
			t.Errorf("third accept: %v", err)
		}
		got <- c
	}()
	dial()
	a.Close()
	a.Close()
	c := <-got
	if n := len(l.slots); n != 2 {
		t.Fatalf("%d slots taken, want 2", n)
	}
	b.Close()
	c.Close()
	if n := len(l.slots); n != 0 {
		t.Fatalf("%d slots taken after closing all, want 0", n)
	}

	// Close wakes an Accept that waits for a slot.
	dial()
	dial()
	accept()
	accept()
	errc := make(chan error)
	go func() { _, err := l.Accept(); errc <- err }()
	l.Close()
	if err := <-errc; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("accept after close = %v, want net.ErrClosed", err)
	}
}

package checks

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/registry"
)

func TestTCPCheck(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	addr := ln.Addr().String()

	m, rep := newTestManager(t, testConfig(t))
	m.Sync([]*registry.Check{serviceCheck("tcp", registry.CheckTypeTCP, registry.CheckDefinition{
		TCP: addr, Interval: 200 * time.Millisecond,
	})})
	if out := waitStatus(t, rep, "tcp", registry.HealthPassing).output; out != "TCP connect "+addr+": Success" {
		t.Fatalf("output %q", out)
	}
	ln.Close()
	if out := waitStatus(t, rep, "tcp", registry.HealthCritical).output; !strings.HasPrefix(out, "TCP connect "+addr+": ") {
		t.Fatalf("output %q", out)
	}
}

func TestTCPCheckInvalidAddress(t *testing.T) {
	m, rep := newTestManager(t, testConfig(t))
	c := serviceCheck("tcp", registry.CheckTypeTCP, registry.CheckDefinition{TCP: "no-port", Interval: 50 * time.Millisecond})
	c.Status = registry.HealthPassing // so that critical is a change
	m.Sync([]*registry.Check{c})
	if out := waitStatus(t, rep, "tcp", registry.HealthCritical).output; !strings.Contains(out, "invalid tcp check address") {
		t.Fatalf("output %q", out)
	}
}

package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/agent/agenttest"
)

func TestMembersJoinLeaveCommands(t *testing.T) {
	a := agenttest.Start(t, agenttest.Config(t, "n1", t.TempDir()))
	cfg := agenttest.Config(t, "n2", t.TempDir())
	cfg.Join = []string{"127.0.0.1:1"} // nobody there: it waits to be joined
	cfg.RetryJoinTimeout = 0
	b := agenttest.StartNoWait(t, cfg)
	addrB := "--http-addr=" + b.HTTPAddr()

	if code, out, errOut := runCLI(t, "", "join", addrB, a.GossipAddr()); code != 0 || !strings.Contains(out, "Successfully joined") {
		t.Fatalf("join: %d %q %q", code, out, errOut)
	}
	agenttest.WaitReady(t, b)
	var rows []memberRow
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, out, _ := runCLI(t, "", "members", addrB, "--format", "json")
		rows = nil
		if code == 0 && json.Unmarshal([]byte(out), &rows) == nil && len(rows) == 2 && rows[0].Leader && !rows[1].Leader {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("members: %d %s", code, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if rows[0].Name != "n1" || rows[1].Status != "alive" || rows[1].Role != "server" {
		t.Fatalf("members = %+v", rows)
	}
	code, out, _ := runCLI(t, "", "members", addrB)
	if code != 0 || !strings.Contains(out, "NODE") || !strings.Contains(out, "*") {
		t.Fatalf("members table: %s", out)
	}
	if code, _, errOut := runCLI(t, "", "join", addrB, "127.0.0.1:1"); code != exitError || !strings.Contains(errOut, "join 127.0.0.1:1") {
		t.Fatalf("join unreachable: %d %q", code, errOut)
	}

	if code, out, errOut := runCLI(t, "", "leave", addrB); code != 0 || !strings.Contains(out, "Graceful leave complete") {
		t.Fatalf("leave: %d %q %q", code, out, errOut)
	}
	select {
	case <-b.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("agent did not finish leaving")
	}
	code, out, _ = runCLI(t, "", "members", "--http-addr="+a.HTTPAddr(), "--format", "json")
	json.Unmarshal([]byte(out), &rows)
	if code != 0 || len(rows) != 2 || rows[1].Status != "left" {
		t.Fatalf("members after leave: %s", out)
	}
}

package gossip

import (
	"net/netip"
	"testing"
	"time"
)

func member(name string, st Status, port uint16) Member {
	return Member{Name: name, Addr: netip.MustParseAddr("127.0.0.1"), Port: port, Meta: testMeta(name), Status: st}
}

func TestEventFor(t *testing.T) {
	alive := member("a", StatusAlive, 1)
	moved := member("a", StatusAlive, 2)
	leaving := member("a", StatusLeaving, 1)
	failed := member("a", StatusFailed, 1)
	left := member("a", StatusLeft, 1)
	tests := []struct {
		name   string
		prev   *Member // nil: nothing delivered yet
		c      change
		want   EventType
		wantOK bool
	}{
		{"first sight", nil, change{m: alive}, EventJoin, true},
		{"same state again", &alive, change{m: alive}, 0, false},
		{"moved", &alive, change{m: moved}, EventUpdate, true},
		{"leaving", &alive, change{m: leaving}, EventUpdate, true},
		{"failed", &alive, change{m: failed}, EventFailed, true},
		{"failed twice", &failed, change{m: failed}, 0, false},
		{"left", &leaving, change{m: left}, EventLeft, true},
		{"back after failure", &failed, change{m: alive}, EventJoin, true},
		{"back after leave", &left, change{m: moved}, EventJoin, true},
		{"failed before first delivery", nil, change{m: failed}, EventFailed, true},
		{"reap", &failed, change{m: failed, reap: true}, EventReap, true},
		{"reap of undelivered", nil, change{m: failed, reap: true}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var prev Member
			if tt.prev != nil {
				prev = *tt.prev
			}
			got, ok := eventFor(prev, tt.prev != nil, tt.c)
			if ok != tt.wantOK || (ok && got != tt.want) {
				t.Fatalf("eventFor = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// drain pops every pending event.
func drain(tb *table) []Event {
	var out []Event
	for {
		ev, ok := tb.next()
		if !ok {
			return out
		}
		out = append(out, ev)
	}
}

func TestTableCoalesces(t *testing.T) {
	tb := newTable()
	now := time.Unix(1000, 0)
	tb.observe(member("a", StatusAlive, 1), now)
	tb.observe(member("b", StatusAlive, 1), now)
	if got := drain(tb); len(got) != 2 || got[0].Member.Name != "a" || got[1].Member.Name != "b" {
		t.Fatalf("first drain = %v, want join a, join b", got)
	}

	// A slow consumer: a fails and comes back on a new port, b fails, a
	// changes again. Only the latest state per node is delivered, in the
	// order the nodes first changed.
	tb.observe(member("a", StatusFailed, 1), now)
	tb.observe(member("b", StatusFailed, 1), now)
	tb.observe(member("a", StatusAlive, 2), now)
	tb.observe(member("a", StatusAlive, 3), now)
	got := drain(tb)
	want := []struct {
		typ  EventType
		name string
		port uint16
	}{{EventUpdate, "a", 3}, {EventFailed, "b", 1}}
	if len(got) != len(want) {
		t.Fatalf("drain = %v, want %v", got, want)
	}
	for i, w := range want {
		if got[i].Type != w.typ || got[i].Member.Name != w.name || got[i].Member.Port != w.port {
			t.Fatalf("event %d = %v, want %v %s port %d", i, got[i], w.typ, w.name, w.port)
		}
	}

	// A restart that ends in exactly the delivered state delivers nothing.
	tb.observe(member("a", StatusFailed, 3), now)
	tb.observe(member("a", StatusAlive, 3), now)
	if got := drain(tb); len(got) != 0 {
		t.Fatalf("no-op churn delivered %v", got)
	}
	if m, _ := tb.get("a"); m.Status != StatusAlive || m.Port != 3 {
		t.Fatalf("current a = %v", m)
	}
}

func TestTableSinceAndReap(t *testing.T) {
	tb := newTable()
	t0 := time.Unix(1000, 0)
	tb.observe(member("a", StatusAlive, 1), t0)
	tb.observe(member("a", StatusAlive, 2), t0.Add(time.Second)) // same status
	if m, _ := tb.get("a"); !m.Since.Equal(t0) {
		t.Fatalf("Since = %v, want unchanged %v", m.Since, t0)
	}
	tb.observe(member("b", StatusAlive, 1), t0)
	tb.observe(member("c", StatusAlive, 1), t0)
	drain(tb)

	tb.observe(member("b", StatusFailed, 1), t0)
	tb.observe(member("c", StatusLeft, 1), t0)
	drain(tb)
	if n := tb.reap(t0.Add(time.Minute), time.Hour, time.Minute); n != 1 {
		t.Fatalf("reap removed %d, want 1 (only the left member is old enough)", n)
	}
	got := drain(tb)
	if len(got) != 1 || got[0].Type != EventReap || got[0].Member.Name != "c" || got[0].Member.Status != StatusLeft {
		t.Fatalf("reap events = %v, want reap c (left)", got)
	}
	names := []string{}
	for _, m := range tb.snapshot() {
		names = append(names, m.Name)
	}
	if len(names) != 2 || names[0] != "a" || names[1] != "b" {
		t.Fatalf("snapshot names = %v, want [a b]", names)
	}
}

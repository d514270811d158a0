package gossip

import (
	"net/netip"
	"testing"
	"time"
)

// member is a member of run boot 1 with status st (for eventFor, which
// does not derive status).
func member(name string, st Status, port uint16) Member {
	return Member{Name: name, Addr: netip.MustParseAddr("127.0.0.1"), Port: port, Meta: testMeta(name), Status: st, boot: 1}
}

func TestEventFor(t *testing.T) {
	alive := member("a", StatusAlive, 1)
	moved := member("a", StatusAlive, 2)
	restarted := alive
	restarted.boot = 2
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
		{"restarted unseen", &alive, change{m: restarted}, EventUpdate, true},
		{"leaving", &alive, change{m: leaving}, EventUpdate, true},
		{"failed", &alive, change{m: failed}, EventFailed, true},
		{"failed twice", &failed, change{m: failed}, 0, false},
		{"left", &leaving, change{m: left}, EventLeft, true},
		{"failed turns left", &failed, change{m: left}, EventLeft, true},
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

// up and gone report what memberlist would: the node (run boot) at port.
func up(tb *table, name string, port uint16, boot uint64, now time.Time) {
	m := member(name, 0, port)
	m.boot = boot
	tb.observe(m, false, now)
}

func gone(tb *table, name string, port uint16, boot uint64, now time.Time) {
	m := member(name, 0, port)
	m.boot = boot
	tb.observe(m, true, now)
}

type wantEvent struct {
	typ    EventType
	name   string
	status Status
	port   uint16
}

func checkEvents(t *testing.T, got []Event, want []wantEvent) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	for i, w := range want {
		g := got[i]
		if g.Type != w.typ || g.Member.Name != w.name || g.Member.Status != w.status || (w.port != 0 && g.Member.Port != w.port) {
			t.Fatalf("event %d = %v (port %d), want %+v", i, g, g.Member.Port, w)
		}
	}
}

func TestTableCoalesces(t *testing.T) {
	tb := newTable()
	now := time.Unix(1000, 0)
	up(tb, "a", 1, 1, now)
	up(tb, "b", 1, 1, now)
	checkEvents(t, drain(tb), []wantEvent{{EventJoin, "a", StatusAlive, 1}, {EventJoin, "b", StatusAlive, 1}})

	// A slow consumer: a fails and comes back on a new port, b fails, a
	// changes again. Only the latest state per node is delivered, in the
	// order the nodes first changed.
	gone(tb, "a", 1, 1, now)
	gone(tb, "b", 1, 1, now)
	up(tb, "a", 2, 2, now)
	up(tb, "a", 3, 2, now)
	checkEvents(t, drain(tb), []wantEvent{{EventUpdate, "a", StatusAlive, 3}, {EventFailed, "b", StatusFailed, 1}})

	// Churn that ends in exactly the delivered state delivers nothing.
	gone(tb, "a", 3, 2, now)
	up(tb, "a", 3, 2, now)
	if got := drain(tb); len(got) != 0 {
		t.Fatalf("no-op churn delivered %v", got)
	}
	if m, _ := tb.get("a"); m.Status != StatusAlive || m.Port != 3 {
		t.Fatalf("current a = %v", m)
	}
	if n := tb.numUp(); n != 1 {
		t.Fatalf("numUp = %d, want 1 (b failed)", n)
	}
}

func TestTableLeaveIntents(t *testing.T) {
	now := time.Unix(1000, 0)
	tests := []struct {
		name string
		run  func(tb *table, deliver func()) // deliver: the consumer reads now
		want []wantEvent
	}{
		{"intent then gone is left", func(tb *table, deliver func()) {
			tb.intent("a", 1, now)
			gone(tb, "a", 1, 1, now)
		}, []wantEvent{{EventLeft, "a", StatusLeft, 1}}},
		{"intent seen by consumer as leaving", func(tb *table, deliver func()) {
			tb.intent("a", 1, now)
			deliver()
			gone(tb, "a", 1, 1, now)
		}, []wantEvent{{EventUpdate, "a", StatusLeaving, 1}, {EventLeft, "a", StatusLeft, 1}}},
		{"gone then late intent turns failed into left", func(tb *table, deliver func()) {
			gone(tb, "a", 1, 1, now)
			deliver()
			tb.intent("a", 1, now)
		}, []wantEvent{{EventFailed, "a", StatusFailed, 1}, {EventLeft, "a", StatusLeft, 1}}},
		{"intent of an earlier run is ignored", func(tb *table, deliver func()) {
			tb.intent("a", 0, now)
			gone(tb, "a", 1, 1, now)
		}, []wantEvent{{EventFailed, "a", StatusFailed, 1}}},
		{"intent before the alive message", func(tb *table, deliver func()) {
			tb.intent("b", 7, now)
			up(tb, "b", 1, 7, now)
		}, []wantEvent{{EventJoin, "b", StatusLeaving, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := newTable()
			up(tb, "a", 1, 1, now)
			drain(tb)
			var got []Event
			deliver := func() { got = append(got, drain(tb)...) }
			tt.run(tb, deliver)
			deliver()
			checkEvents(t, got, tt.want)
		})
	}
	tb := newTable()
	if _, isNew := tb.intent("a", 1, now); !isNew {
		t.Fatalf("first intent not new")
	}
	if _, isNew := tb.intent("a", 1, now); isNew {
		t.Fatalf("repeated intent is new: it would be gossiped forever")
	}
	if got := tb.recentIntents(now.Add(intentTTL)); len(got) != 0 {
		t.Fatalf("expired intents still passed on: %v", got)
	}
}

func TestTableSinceAndReap(t *testing.T) {
	tb := newTable()
	t0 := time.Unix(1000, 0)
	up(tb, "a", 1, 1, t0)
	up(tb, "a", 2, 1, t0.Add(time.Second)) // same status
	if m, _ := tb.get("a"); !m.Since.Equal(t0) {
		t.Fatalf("Since = %v, want unchanged %v", m.Since, t0)
	}
	up(tb, "b", 1, 1, t0)
	up(tb, "c", 1, 1, t0)
	tb.intent("c", 1, t0)
	gone(tb, "b", 1, 1, t0)
	gone(tb, "c", 1, 1, t0)
	drain(tb)
	if n := tb.reap(t0.Add(time.Minute), time.Hour, time.Minute); n != 1 {
		t.Fatalf("reap removed %d, want 1 (only the left member is old enough)", n)
	}
	checkEvents(t, drain(tb), []wantEvent{{EventReap, "c", StatusLeft, 1}})
	names := []string{}
	for _, m := range tb.snapshot() {
		names = append(names, m.Name)
	}
	if len(names) != 2 || names[0] != "a" || names[1] != "b" {
		t.Fatalf("snapshot names = %v, want [a b]", names)
	}
	tb.reap(t0.Add(intentTTL), time.Hour, time.Hour)
	if len(tb.intents) != 0 {
		t.Fatalf("reap kept expired intents: %v", tb.intents)
	}
}

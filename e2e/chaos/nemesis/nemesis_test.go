package nemesis

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/e2e/chaos/netns"
)

func TestScheduleIsDeterministic(t *testing.T) {
	cfg := DefaultConfig(3)
	a, b := Schedule(42, cfg), Schedule(42, cfg)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed gave two schedules")
	}
	if reflect.DeepEqual(a, Schedule(43, cfg)) {
		t.Fatal("different seeds gave the same schedule")
	}
}

func TestScheduleShape(t *testing.T) {
	for _, nodes := range []int{3, 5} {
		t.Run(fmt.Sprint(nodes, " nodes"), func(t *testing.T) {
			cfg := DefaultConfig(nodes)
			faults := Schedule(7, cfg)
			if len(faults) != cfg.Faults {
				t.Fatalf("%d faults, want %d", len(faults), cfg.Faults)
			}
			seen := map[Kind]bool{}
			var prevEnd time.Duration
			for _, f := range faults {
				seen[f.Kind] = true
				if f.Seq > 1 && f.Start < prevEnd+cfg.MinGap {
					t.Fatalf("%s starts before the previous fault's gap ended", f)
				}
				if f.Hold < cfg.MinHold || f.Hold > cfg.MaxHold {
					t.Fatalf("%s: hold out of range", f)
				}
				if f.Node < 0 || f.Node >= nodes {
					t.Fatalf("%s: node out of range", f)
				}
				if f.Kind == Split && len(f.Minority) != (nodes-1)/2 {
					t.Fatalf("%s: minority of %d, want %d", f, len(f.Minority), (nodes-1)/2)
				}
				prevEnd = f.Start + f.Hold
			}
			for _, k := range AllKinds() {
				if !seen[k] {
					t.Errorf("kind %s never scheduled in %d faults", k, len(faults))
				}
			}
			if span := Span(faults); span > 3*time.Minute {
				t.Errorf("CI schedule spans %s", span)
			}
		})
	}
}

// fakeTarget records calls.
type fakeTarget struct {
	mu     sync.Mutex
	leader int
	calls  []string
}

func (f *fakeTarget) Nodes() int { return 3 }
func (f *fakeTarget) Leader(context.Context) (int, error) {
	return f.leader, nil
}
func (f *fakeTarget) record(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
	return nil
}
func (f *fakeTarget) Cut(d []netns.Drop) error { return f.record(fmt.Sprint("cut ", d)) }
func (f *fakeTarget) Heal() error              { return f.record("heal") }
func (f *fakeTarget) Kill(i int) error         { return f.record(fmt.Sprint("kill ", i)) }
func (f *fakeTarget) Restart(_ context.Context, i int) error {
	return f.record(fmt.Sprint("restart ", i))
}
func (f *fakeTarget) Pause(i int) error  { return f.record(fmt.Sprint("pause ", i)) }
func (f *fakeTarget) Resume(i int) error { return f.record(fmt.Sprint("resume ", i)) }

func TestRunInjectsAndRecovers(t *testing.T) {
	faults := []Fault{
		{Seq: 1, Kind: KillLeader, Node: 0, Hold: time.Millisecond},
		{Seq: 2, Kind: Split, Minority: []int{2}, Start: 2 * time.Millisecond, Hold: time.Millisecond},
		{Seq: 3, Kind: OneWay, Node: 1, Deaf: true, Start: 4 * time.Millisecond, Hold: time.Millisecond},
		{Seq: 4, Kind: PauseNode, Node: 2, Start: 6 * time.Millisecond, Hold: time.Millisecond},
	}
	tgt := &fakeTarget{leader: 1}
	events, err := Run(context.Background(), time.Now(), faults, tgt, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"kill 1", "restart 1",
		"cut [{2 0} {2 1} {0 2} {1 2}]", "heal",
		"cut [{0 1} {2 1}]", "heal",
		"pause 2", "resume 2",
	}
	if !slices.Equal(tgt.calls, want) {
		t.Fatalf("calls:\n%s\nwant:\n%s", strings.Join(tgt.calls, "\n"), strings.Join(want, "\n"))
	}
	if len(events) != 4 || events[0].Node != 1 || events[1].Node != -1 {
		t.Fatalf("events: %v", events)
	}
	for _, ev := range events {
		if ev.Recovered.Before(ev.Injected) {
			t.Fatalf("%s recovered before it was injected", ev)
		}
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	events, err := Run(ctx, time.Now(), []Fault{{Seq: 1, Kind: KillNode, Start: time.Hour}}, &fakeTarget{}, t.Logf)
	if err != nil || len(events) != 0 {
		t.Fatalf("cancelled run: %v, %v", events, err)
	}
}

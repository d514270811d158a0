package checks

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/registry"
)

// waitTimeout is generous: tests wait for things that take tens of
// milliseconds, but a loaded CI machine under -race may be slow.
const waitTimeout = 10 * time.Second

type call struct {
	id     string
	status registry.Health
	output string
	at     time.Time
}

// fakeReporter records calls. fail, if set, decides each UpdateCheck's error;
// block, if set, makes UpdateCheck for that check wait for its context.
type fakeReporter struct {
	mu       sync.Mutex
	updates  []call
	deregs   []string
	fail     func(checkID string, n int) error // n: calls for that check so far
	failDrg  func(n int) error
	block    string
	attempts map[string]int
}

func (f *fakeReporter) UpdateCheck(ctx context.Context, id string, status registry.Health, output string) error {
	f.mu.Lock()
	if f.attempts == nil {
		f.attempts = make(map[string]int)
	}
	n := f.attempts[id]
	f.attempts[id]++
	fail, block := f.fail, f.block
	f.mu.Unlock()
	if id == block {
		<-ctx.Done()
		return ctx.Err()
	}
	if fail != nil {
		if err := fail(id, n); err != nil {
			return err
		}
	}
	f.mu.Lock()
	f.updates = append(f.updates, call{id, status, output, time.Now()})
	f.mu.Unlock()
	return nil
}

func (f *fakeReporter) DeregisterService(ctx context.Context, serviceID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deregs = append(f.deregs, serviceID)
	if f.failDrg != nil {
		return f.failDrg(len(f.deregs) - 1)
	}
	return nil
}

// writes returns the successful UpdateCheck calls for id.
func (f *fakeReporter) writes(id string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.updates {
		if c.id == id {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeReporter) tries(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts[id]
}

func (f *fakeReporter) deregistrations() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.deregs...)
}

// last returns the latest write for id.
func (f *fakeReporter) last(id string) (call, bool) {
	w := f.writes(id)
	if len(w) == 0 {
		return call{}, false
	}
	return w[len(w)-1], true
}

func testConfig(t *testing.T) Config {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return Config{
		Logger:   logger,
		RetryMin: 10 * time.Millisecond,
		RetryMax: 40 * time.Millisecond,
		Jitter:   func() float64 { return 0 },
	}
}

// scriptConfig is testConfig with exec checks enabled.
func scriptConfig(t *testing.T) Config {
	t.Helper()
	cfg := testConfig(t)
	cfg.EnableScriptChecks = true
	return cfg
}

func newTestManager(t *testing.T, cfg Config) (*Manager, *fakeReporter) {
	t.Helper()
	rep := &fakeReporter{}
	m := NewManager(cfg, rep)
	t.Cleanup(m.Stop)
	return m, rep
}

// waitFor polls cond until it holds or waitTimeout passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitStatus waits until the latest write for id has status want and
// returns it.
func waitStatus(t *testing.T, rep *fakeReporter, id string, want registry.Health) call {
	t.Helper()
	var got call
	waitFor(t, "check "+id+" to be reported "+string(want), func() bool {
		c, ok := rep.last(id)
		got = c
		return ok && c.status == want
	})
	return got
}

// serviceCheck is a check of instance "web-1" with the given type and
// definition, in Consul's initial status (critical).
func serviceCheck(id, typ string, def registry.CheckDefinition) *registry.Check {
	return &registry.Check{
		Node:        "node-1",
		CheckID:     id,
		Name:        id,
		Status:      registry.HealthCritical,
		ServiceID:   "web-1",
		ServiceName: "web",
		Type:        typ,
		Definition:  def,
	}
}

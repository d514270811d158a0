package agent

import (
	"testing"
	"time"
)

func TestTombstoneReaperCutOff(t *testing.T) {
	r := &tombstoneReaper{ttl: time.Minute}
	t0 := time.Unix(1000, 0)
	steps := []struct {
		after   time.Duration
		applied uint64
		want    uint64
	}{
		{0, 10, 0},
		{30 * time.Second, 20, 0},
		{time.Minute, 30, 10},      // the sample at t0 is a minute old
		{90 * time.Second, 40, 20}, // so is the one at 30s
		{90 * time.Second, 41, 0},  // nothing newly expired
		{3 * time.Minute, 50, 41},  // everything up to 90s expired
	}
	for i, st := range steps {
		if got := r.observe(t0.Add(st.after), st.applied); got != st.want {
			t.Fatalf("step %d: cut-off %d, want %d", i, got, st.want)
		}
	}
	if len(r.samples) != 1 {
		t.Fatalf("%d samples kept, want only the latest", len(r.samples))
	}
}

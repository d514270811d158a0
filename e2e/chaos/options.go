package chaos

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"time"
)

// Options are a run's knobs, read from the environment so that `make
// chaos` and CI need no test flags:
//
//	ROSTER_CHAOS=1              run the suite at all (needs root)
//	ROSTER_CHAOS_SEED=N         replay a run (default: random, printed)
//	ROSTER_CHAOS_NODES=3|5      cluster size (default 3)
//	ROSTER_CHAOS_FAULTS=N       faults to inject (default 24)
//	ROSTER_CHAOS_LONG=1         a long run: 150 faults, holds up to 8 s
//	ROSTER_CHAOS_BIN=path       test this binary instead of building one
//	ROSTER_CHAOS_DIR=path       keep logs and data here (default: a temp dir, kept on failure)
//	ROSTER_CHAOS_GOSSIP=profile --gossip-profile (default: the agent's)
type Options struct {
	Seed      uint64
	Nodes     int
	Faults    int
	Long      bool
	Binary    string
	Dir       string
	Gossip    string
	CheckTime time.Duration // porcupine's time limit
}

func optionsFromEnv() (Options, error) {
	o := Options{Nodes: 3, Faults: 24, CheckTime: 90 * time.Second}
	if v := os.Getenv("ROSTER_CHAOS_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return o, fmt.Errorf("ROSTER_CHAOS_SEED=%q: %w", v, err)
		}
		o.Seed = s
	} else {
		var b [8]byte
		_, _ = rand.Read(b[:])
		o.Seed = binary.LittleEndian.Uint64(b[:]) >> 1 // fits an int64 for easy retyping
	}
	o.Long = os.Getenv("ROSTER_CHAOS_LONG") == "1"
	if o.Long {
		o.Faults = 150
		o.CheckTime = 10 * time.Minute
	}
	for name, dst := range map[string]*int{"ROSTER_CHAOS_NODES": &o.Nodes, "ROSTER_CHAOS_FAULTS": &o.Faults} {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return o, fmt.Errorf("%s=%q: want a positive integer", name, v)
			}
			*dst = n
		}
	}
	if o.Nodes != 3 && o.Nodes != 5 {
		return o, fmt.Errorf("ROSTER_CHAOS_NODES=%d: want 3 or 5", o.Nodes)
	}
	o.Binary = os.Getenv("ROSTER_CHAOS_BIN")
	o.Dir = os.Getenv("ROSTER_CHAOS_DIR")
	if v := os.Getenv("ROSTER_CHAOS_GOSSIP"); v != "" {
		o.Gossip = v
	}
	return o, nil
}

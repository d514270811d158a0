package main

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// percentile returns the q-quantile (0..1) of ds by nearest rank.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// cpuTimes reads the aggregate line of /proc/stat: busy and total jiffies.
func cpuTimes() (busy, total uint64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, fmt.Errorf("read /proc/stat: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("unexpected /proc/stat line %q", line)
	}
	for i, s := range f[1:] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("parse /proc/stat: %w", err)
		}
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, total, nil
}

// cpuMeter measures the machine's busy fraction between start and read.
type cpuMeter struct{ busy, total uint64 }

func startCPU() cpuMeter {
	b, t, _ := cpuTimes()
	return cpuMeter{b, t}
}

// busyPercent is the share of all cores' time that was busy since start.
func (c cpuMeter) busyPercent() float64 {
	b, t, err := cpuTimes()
	if err != nil || t <= c.total {
		return -1
	}
	return 100 * float64(b-c.busy) / float64(t-c.total)
}

func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

package netns

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// RegistryDir is where runs record what they own. It lives on /run (tmpfs),
// which is cleared exactly when namespaces and bridges are: at reboot.
var RegistryDir = "/run/roster-chaos"

// entry is one run's record: who owns it and which subnet it took.
type entry struct {
	ID       string `json:"id"`
	PID      int    `json:"pid"`
	Start    string `json:"start"` // the owner's start time in clock ticks, against PID reuse
	Subnet   int    `json:"subnet"`
	Hosts    int    `json:"hosts"`
	Firewall bool   `json:"root_forward_rule,omitempty"`
}

func newRunID() string {
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b[:])
}

// withLock runs f holding an exclusive lock on the registry, so two runs
// starting at once pick different subnets and do not clean each other up.
func withLock(f func() error) error {
	if err := os.MkdirAll(RegistryDir, 0o755); err != nil {
		return fmt.Errorf("create run registry: %w", err)
	}
	fd, err := os.OpenFile(filepath.Join(RegistryDir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("open registry lock: %w", err)
	}
	defer fd.Close()
	if err := syscall.Flock(int(fd.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("lock run registry: %w", err)
	}
	defer syscall.Flock(int(fd.Fd()), syscall.LOCK_UN)
	return f()
}

func entryPath(id string) string { return filepath.Join(RegistryDir, id+".json") }

func readEntries() ([]entry, error) {
	names, err := filepath.Glob(filepath.Join(RegistryDir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []entry
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			continue // removed by its owner meanwhile
		}
		var e entry
		if err := json.Unmarshal(b, &e); err != nil || e.ID == "" {
			// A torn write from a crash: the file name still names the run.
			e = entry{ID: strings.TrimSuffix(filepath.Base(name), ".json")}
		}
		out = append(out, e)
	}
	return out, nil
}

func writeEntry(e entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	tmp := entryPath(e.ID) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write run registry entry: %w", err)
	}
	return os.Rename(tmp, entryPath(e.ID))
}

func removeEntry(id string) error {
	err := os.Remove(entryPath(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// procStart returns a process's start time (field 22 of /proc/PID/stat),
// or "" when the process does not exist.
func procStart(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// The command name (field 2) may contain spaces; fields resume after ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return ""
	}
	return fields[19]
}

// alive reports whether the run's owner is still the process that made it.
func (e entry) alive() bool {
	if e.PID <= 0 {
		return false
	}
	start := procStart(e.PID)
	return start != "" && start == e.Start
}

// pickSubnet returns a third octet in 198.18.k.0/24 that no registered run
// uses and no interface on this machine has an address in.
func pickSubnet(used []entry, addrsInUse string) (int, error) {
	taken := map[int]bool{}
	for _, e := range used {
		taken[e.Subnet] = true
	}
	for k := 1; k < 255; k++ {
		if taken[k] || strings.Contains(addrsInUse, fmt.Sprintf(" 198.18.%d.", k)) {
			continue
		}
		return k, nil
	}
	return 0, errors.New("no free subnet in 198.18.0.0/16: too many runs at once")
}

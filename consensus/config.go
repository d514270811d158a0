package consensus

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Config configures a Raft node.
type Config struct {
	// ID is this server's Raft ID; roster uses the node name.
	ID string
	// DataDir holds raft.db (log and stable store) and snapshots/.
	DataDir string
	// BindAddr is the TCP address the Raft port listens on ("ip:port";
	// port 0 picks one). AdvertiseAddr is the address other servers dial;
	// empty means the bound address.
	BindAddr      string
	AdvertiseAddr string

	// BootstrapSelf makes a node with no Raft state bootstrap a one-server
	// cluster of itself. A node that has state never bootstraps again.
	BootstrapSelf bool

	// Raft timing. LeaderLeaseTimeout must not exceed HeartbeatTimeout.
	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	CommitTimeout      time.Duration

	// SnapshotThreshold is how many log entries since the last snapshot
	// trigger a new one; SnapshotInterval how often that is checked;
	// TrailingLogs how many entries stay after a snapshot so slightly
	// lagging followers catch up from the log rather than a snapshot.
	SnapshotThreshold uint64
	SnapshotInterval  time.Duration
	TrailingLogs      uint64
	// SnapshotRetain is how many snapshots are kept on disk.
	SnapshotRetain int

	// LeaderWait bounds how long a write waits for a leader to exist.
	LeaderWait time.Duration
	// ApplyTimeout bounds one write once it is with the leader.
	ApplyTimeout time.Duration

	Logger *slog.Logger
}

// DefaultConfig returns production settings: Raft's own timings, which
// tolerate the pauses of a busy machine, and snapshots every 8192 entries.
func DefaultConfig() Config {
	return Config{
		BindAddr:           "127.0.0.1:8300",
		HeartbeatTimeout:   1000 * time.Millisecond,
		ElectionTimeout:    1000 * time.Millisecond,
		LeaderLeaseTimeout: 500 * time.Millisecond,
		CommitTimeout:      50 * time.Millisecond,
		SnapshotThreshold:  8192,
		SnapshotInterval:   30 * time.Second,
		TrailingLogs:       10240,
		SnapshotRetain:     2,
		LeaderWait:         7 * time.Second,
		ApplyTimeout:       10 * time.Second,
	}
}

// Validate reports the first problem with c.
func (c Config) Validate() error {
	switch {
	case c.ID == "":
		return errors.New("raft: ID is required")
	case c.DataDir == "":
		return errors.New("raft: data directory is required")
	case c.BindAddr == "":
		return errors.New("raft: bind address is required")
	case c.HeartbeatTimeout < 5*time.Millisecond || c.ElectionTimeout < 5*time.Millisecond:
		return errors.New("raft: heartbeat and election timeouts must be at least 5ms")
	case c.LeaderLeaseTimeout > c.HeartbeatTimeout:
		return fmt.Errorf("raft: leader lease timeout %s exceeds heartbeat timeout %s", c.LeaderLeaseTimeout, c.HeartbeatTimeout)
	case c.SnapshotThreshold == 0:
		return errors.New("raft: snapshot threshold must be positive")
	case c.LeaderWait <= 0 || c.ApplyTimeout <= 0:
		return errors.New("raft: leader wait and apply timeout must be positive")
	}
	return nil
}

package gossip

import (
	"fmt"
	"time"

	"github.com/hashicorp/memberlist"
)

// Profile names a memberlist timing preset. It is what the agent's
// --gossip-profile flag selects.
type Profile string

// Profiles. See Timing for what each one sets.
const (
	// ProfileLAN is memberlist's DefaultLANConfig: conservative, detects a
	// dead node in about 5–7 s in a 3-node cluster.
	ProfileLAN Profile = "lan"
	// ProfileLocal is memberlist's DefaultLocalConfig: faster probes, meant
	// for loopback or a quiet LAN.
	ProfileLocal Profile = "local"
	// ProfileFast is roster's preset for loopback and LAN clusters: a dead
	// node is declared failed within about 2 s, tuned (and measured with
	// tools/gossipbench) to give no false verdicts on a busy 2-core machine.
	ProfileFast Profile = "fast"
)

// Profiles lists the valid profiles, for flag help.
func Profiles() []Profile { return []Profile{ProfileLAN, ProfileLocal, ProfileFast} }

// ParseProfile maps a flag value to a Profile; the error lists valid values.
func ParseProfile(s string) (Profile, error) {
	for _, p := range Profiles() {
		if string(p) == s {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: unknown gossip profile %q (want one of %v)", ErrInvalidConfig, s, Profiles())
}

// Timing is the set of memberlist failure-detection and dissemination knobs
// a Profile chooses. Field meanings are memberlist's (see memberlist.Config).
// In a 3-node cluster the suspicion timeout is SuspicionMult*ProbeInterval
// (memberlist scales it by log10 of the cluster size, at least 1).
type Timing struct {
	ProbeInterval           time.Duration
	ProbeTimeout            time.Duration
	SuspicionMult           int
	SuspicionMaxTimeoutMult int
	AwarenessMaxMultiplier  int
	IndirectChecks          int
	GossipInterval          time.Duration
	GossipNodes             int
	GossipToTheDeadTime     time.Duration
	RetransmitMult          int
	PushPullInterval        time.Duration
	TCPTimeout              time.Duration
}

// Timing returns the profile's knobs. It fails only for an unknown profile.
func (p Profile) Timing() (Timing, error) {
	switch p {
	case ProfileLAN:
		return timingOf(memberlist.DefaultLANConfig()), nil
	case ProfileLocal:
		return timingOf(memberlist.DefaultLocalConfig()), nil
	case ProfileFast:
		return fastTiming(), nil
	}
	_, err := ParseProfile(string(p))
	return Timing{}, err
}

// fastTiming is ProfileFast. Detection of a killed node takes roughly
// (time until probed) + ProbeInterval (the failed probe) +
// SuspicionMult*ProbeInterval (the suspicion timeout) + a gossip hop.
// A false verdict needs a live node to miss a direct probe, the indirect
// probe and the TCP fallback for a whole ProbeInterval and then fail to
// refute the suspicion for SuspicionMult*ProbeInterval.
func fastTiming() Timing {
	t := timingOf(memberlist.DefaultLocalConfig())
	t.ProbeInterval = 200 * time.Millisecond
	t.ProbeTimeout = 100 * time.Millisecond
	t.SuspicionMult = 4
	t.SuspicionMaxTimeoutMult = 4
	t.GossipInterval = 50 * time.Millisecond
	t.GossipToTheDeadTime = 10 * time.Second
	t.PushPullInterval = 10 * time.Second
	t.RetransmitMult = 3
	return t
}

func timingOf(c *memberlist.Config) Timing {
	return Timing{
		ProbeInterval:           c.ProbeInterval,
		ProbeTimeout:            c.ProbeTimeout,
		SuspicionMult:           c.SuspicionMult,
		SuspicionMaxTimeoutMult: c.SuspicionMaxTimeoutMult,
		AwarenessMaxMultiplier:  c.AwarenessMaxMultiplier,
		IndirectChecks:          c.IndirectChecks,
		GossipInterval:          c.GossipInterval,
		GossipNodes:             c.GossipNodes,
		GossipToTheDeadTime:     c.GossipToTheDeadTime,
		RetransmitMult:          c.RetransmitMult,
		PushPullInterval:        c.PushPullInterval,
		TCPTimeout:              c.TCPTimeout,
	}
}

// apply copies t into c.
func (t Timing) apply(c *memberlist.Config) {
	c.ProbeInterval = t.ProbeInterval
	c.ProbeTimeout = t.ProbeTimeout
	c.SuspicionMult = t.SuspicionMult
	c.SuspicionMaxTimeoutMult = t.SuspicionMaxTimeoutMult
	c.AwarenessMaxMultiplier = t.AwarenessMaxMultiplier
	c.IndirectChecks = t.IndirectChecks
	c.GossipInterval = t.GossipInterval
	c.GossipNodes = t.GossipNodes
	c.GossipToTheDeadTime = t.GossipToTheDeadTime
	c.RetransmitMult = t.RetransmitMult
	c.PushPullInterval = t.PushPullInterval
	c.TCPTimeout = t.TCPTimeout
}

// validate rejects values memberlist would misbehave with.
func (t Timing) validate() error {
	switch {
	case t.ProbeInterval <= 0 || t.ProbeTimeout <= 0 || t.ProbeTimeout > t.ProbeInterval:
		return fmt.Errorf("%w: timing: need 0 < probe timeout (%s) <= probe interval (%s)", ErrInvalidConfig, t.ProbeTimeout, t.ProbeInterval)
	case t.SuspicionMult < 1 || t.SuspicionMaxTimeoutMult < 1:
		return fmt.Errorf("%w: timing: suspicion multipliers must be >= 1", ErrInvalidConfig)
	case t.AwarenessMaxMultiplier < 1 || t.RetransmitMult < 1 || t.GossipNodes < 1 || t.IndirectChecks < 0:
		return fmt.Errorf("%w: timing: awareness, retransmit and gossip-node counts must be >= 1", ErrInvalidConfig)
	case t.GossipInterval <= 0 || t.TCPTimeout <= 0 || t.PushPullInterval < 0 || t.GossipToTheDeadTime < 0:
		return fmt.Errorf("%w: timing: gossip interval and TCP timeout must be > 0", ErrInvalidConfig)
	}
	return nil
}

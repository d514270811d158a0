package cluster

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// Features says which agent flags the binary under test has. The suite
// adapts: without --join/--bootstrap-expect every node is its own
// one-server cluster (enough to exercise the harness, not the product);
// without --dns-addr there is no DNS to probe.
type Features struct {
	Cluster       bool // --bootstrap-expect and --join
	Gossip        bool // --gossip-port
	GossipProfile bool // --gossip-profile
	DNS           bool // --dns-addr
	Server        bool // --server
	RetryJoin     bool // --retry-join-timeout
	SnapshotTune  bool // --raft-snapshot-threshold and --raft-trailing-logs
}

func (f Features) String() string {
	var on []string
	for name, ok := range map[string]bool{"cluster": f.Cluster, "gossip": f.Gossip, "dns": f.DNS} {
		if ok {
			on = append(on, name)
		}
	}
	if len(on) == 0 {
		return "single-node agents only"
	}
	return strings.Join(sortedStrings(on), ",")
}

// DetectFeatures reads `roster agent --help`.
func DetectFeatures(bin string) (Features, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "agent", "--help").CombinedOutput()
	if err != nil {
		return Features{}, fmt.Errorf("%s agent --help: %w: %s", bin, err, out)
	}
	return parseFeatures(string(out)), nil
}

func parseFeatures(help string) Features {
	// urfave/cli prints "--flag value", Go's flag package "-flag type".
	has := func(flag string) bool {
		return regexp.MustCompile(`(?m)(^|\s)--?` + regexp.QuoteMeta(flag) + `(\s|=|$)`).MatchString(help)
	}
	return Features{
		Cluster:       has("bootstrap-expect") && has("join"),
		Gossip:        has("gossip-port"),
		GossipProfile: has("gossip-profile"),
		DNS:           has("dns-addr"),
		Server:        has("server"),
		RetryJoin:     has("retry-join-timeout"),
		SnapshotTune:  has("raft-snapshot-threshold") && has("raft-trailing-logs"),
	}
}

package checker

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// NodeState is one node's own replica, read with ?stale.
type NodeState struct {
	Node string
	// KV maps each key to "value@ModifyIndex".
	KV map[string]string
	// Instances maps each instance ID to "service@node".
	Instances map[string]string
	// AppliedIndex is the node's Raft applied index, 0 when the agent
	// does not report it (then the replicas' X-Consul-Index values stand
	// in: KVIndex and CatalogIndex).
	AppliedIndex uint64
	KVIndex      uint64
	CatalogIndex uint64
}

// Diverged describes how the states differ, or returns "" when every node
// holds the same replica.
func Diverged(states []NodeState) string {
	if len(states) < 2 {
		return ""
	}
	ref := states[0]
	var diffs []string
	for _, s := range states[1:] {
		if d := mapDiff("KV", ref.KV, s.KV); d != "" {
			diffs = append(diffs, fmt.Sprintf("%s vs %s: %s", ref.Node, s.Node, d))
		}
		if d := mapDiff("catalog", ref.Instances, s.Instances); d != "" {
			diffs = append(diffs, fmt.Sprintf("%s vs %s: %s", ref.Node, s.Node, d))
		}
		if ref.AppliedIndex != 0 && s.AppliedIndex != 0 && ref.AppliedIndex != s.AppliedIndex {
			diffs = append(diffs, fmt.Sprintf("applied index %s=%d %s=%d", ref.Node, ref.AppliedIndex, s.Node, s.AppliedIndex))
		}
		if ref.KVIndex != s.KVIndex || ref.CatalogIndex != s.CatalogIndex {
			diffs = append(diffs, fmt.Sprintf("indexes %s=kv:%d,catalog:%d %s=kv:%d,catalog:%d",
				ref.Node, ref.KVIndex, ref.CatalogIndex, s.Node, s.KVIndex, s.CatalogIndex))
		}
	}
	return strings.Join(diffs, "; ")
}

// mapDiff names up to three keys that differ between a and b.
func mapDiff(what string, a, b map[string]string) string {
	if maps.Equal(a, b) {
		return ""
	}
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		va, oka := a[k]
		vb, okb := b[k]
		if oka == okb && va == vb {
			continue
		}
		if len(out) == 3 {
			out = append(out, "...")
			break
		}
		out = append(out, fmt.Sprintf("%s %q: %s / %s", what, k, orMissing(va, oka), orMissing(vb, okb)))
	}
	return strings.Join(out, ", ")
}

func orMissing(v string, ok bool) string {
	if !ok {
		return "missing"
	}
	return v
}

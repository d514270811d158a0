package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/e2e/chaos/checker"
	"github.com/rosterhq/roster/e2e/chaos/cluster"
	"github.com/rosterhq/roster/e2e/chaos/workload"
)

// stateReader reads nodes' own replicas (?stale) for one run.
type stateReader struct {
	http   *http.Client
	runID  string
	prefix string // KV prefix of the run
}

func newStateReader(runID string) *stateReader {
	return &stateReader{http: &http.Client{Timeout: 3 * time.Second}, runID: runID, prefix: "chaos/" + runID + "/"}
}

// getJSON GETs a path on a node into v; it returns the X-Consul-Index
// header and whether the resource exists.
func (s *stateReader) getJSON(ctx context.Context, n *cluster.Node, path string, v any) (uint64, bool, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+n.HTTPAddr+path, nil)
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	idx, _ := strconv.ParseUint(resp.Header.Get("X-Consul-Index"), 10, 64)
	switch resp.StatusCode {
	case http.StatusOK:
		return idx, true, json.NewDecoder(resp.Body).Decode(v)
	case http.StatusNotFound:
		return idx, false, nil
	}
	return 0, false, fmt.Errorf("%s %s: %s", n.Name, path, resp.Status)
}

// read returns node n's replica of the run's KV keys and instances.
func (s *stateReader) read(ctx context.Context, n *cluster.Node) (checker.NodeState, error) {
	st := checker.NodeState{Node: n.Name, KV: map[string]string{}, Instances: map[string]string{}}
	var entries []struct {
		Key         string
		Value       []byte
		ModifyIndex uint64
	}
	idx, _, err := s.getJSON(ctx, n, "/v1/kv/"+s.prefix+"?recurse&stale", &entries)
	if err != nil {
		return st, err
	}
	st.KVIndex = idx
	for _, e := range entries {
		st.KV[e.Key] = fmt.Sprintf("%s@%d", e.Value, e.ModifyIndex)
	}
	var services map[string][]string
	if st.CatalogIndex, _, err = s.getJSON(ctx, n, "/v1/catalog/services?stale", &services); err != nil {
		return st, err
	}
	for _, svc := range workload.Services {
		var insts []struct{ Node, ServiceID, ServiceName string }
		if _, _, err := s.getJSON(ctx, n, "/v1/catalog/service/"+svc+"?stale", &insts); err != nil {
			return st, err
		}
		for _, in := range insts {
			if strings.HasPrefix(in.ServiceID, "chaos-"+s.runID+"-") {
				st.Instances[in.ServiceID] = in.ServiceName + "@" + in.Node
			}
		}
	}
	if rs, ok := s.raftStats(ctx, n); ok {
		st.AppliedIndex, _ = strconv.ParseUint(rs["applied_index"], 10, 64)
	}
	return st, nil
}

// raftStats returns hashicorp/raft's Stats() map when the agent reports it
// under /v1/agent/self's Stats.raft, as Consul does.
func (s *stateReader) raftStats(ctx context.Context, n *cluster.Node) (map[string]string, bool) {
	var self struct {
		Stats map[string]map[string]string
	}
	if _, ok, err := s.getJSON(ctx, n, "/v1/agent/self", &self); err != nil || !ok {
		return nil, false
	}
	rs, ok := self.Stats["raft"]
	return rs, ok && rs["term"] != ""
}

// readAll reads every node's state.
func (s *stateReader) readAll(ctx context.Context, c *cluster.Cluster) ([]checker.NodeState, error) {
	var out []checker.NodeState
	for _, n := range c.Nodes {
		st, err := s.read(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", n.Name, err)
		}
		out = append(out, st)
	}
	return out, nil
}

// awaitConvergence polls until every node holds the same replica, or
// limit passes. It returns the states and how long it took from since.
func (s *stateReader) awaitConvergence(ctx context.Context, c *cluster.Cluster, since time.Time, limit time.Duration) ([]checker.NodeState, time.Duration, error) {
	deadline := since.Add(limit)
	var last string
	for {
		states, err := s.readAll(ctx, c)
		if err == nil {
			if last = checker.Diverged(states); last == "" {
				return states, time.Since(since), nil
			}
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			return states, time.Since(since), fmt.Errorf("not converged %s after the final heal: %s", limit, last)
		}
		select {
		case <-ctx.Done():
			return states, time.Since(since), ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

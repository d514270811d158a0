package httpapi

import (
	"net/http"

	"github.com/hashicorp/go-memdb"

	"github.com/rosterhq/roster/registry"
)

func (s *Server) handleHealthService(w http.ResponseWriter, r *http.Request) {
	name, tag := r.PathValue("name"), r.URL.Query().Get("tag")
	passing, err := boolParam(r, "passing")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.blockingRead(w, r, func(ws memdb.WatchSet) (uint64, any, error) {
		idx, entries := s.store.ServiceHealth(ws, name, tag, passing)
		out := make([]apiServiceEntry, 0, len(entries))
		for _, e := range entries {
			checks := make([]apiHealthCheck, 0, len(e.Checks))
			for _, c := range e.Checks {
				tags := e.Instance.Tags
				if c.ServiceID == "" {
					tags = nil
				}
				checks = append(checks, toAPIHealthCheck(c, tags))
			}
			out = append(out, apiServiceEntry{
				Node:    toAPINode(e.Node, s.cfg.Datacenter),
				Service: toAPIAgentService(e.Instance, s.cfg.Datacenter, true),
				Checks:  checks,
			})
		}
		return idx, out, nil
	})
}

func (s *Server) checkList(checks []*registry.Check) []apiHealthCheck {
	out := make([]apiHealthCheck, 0, len(checks))
	for _, c := range checks {
		out = append(out, toAPIHealthCheck(c, s.tagsOf(c)))
	}
	return out
}

func (s *Server) handleHealthNode(w http.ResponseWriter, r *http.Request) {
	node := r.PathValue("node")
	s.blockingRead(w, r, func(ws memdb.WatchSet) (uint64, any, error) {
		idx, checks := s.store.NodeChecks(ws, node)
		return idx, s.checkList(checks), nil
	})
}

func (s *Server) handleHealthChecks(w http.ResponseWriter, r *http.Request) {
	service := r.PathValue("service")
	s.blockingRead(w, r, func(ws memdb.WatchSet) (uint64, any, error) {
		idx, checks := s.store.ServiceChecks(ws, service)
		return idx, s.checkList(checks), nil
	})
}

func (s *Server) handleHealthState(w http.ResponseWriter, r *http.Request) {
	state := r.PathValue("state")
	if state != "any" && !registry.Health(state).Valid() {
		s.writeError(w, r, badRequest("state %q must be any, passing, warning or critical", state))
		return
	}
	s.blockingRead(w, r, func(ws memdb.WatchSet) (uint64, any, error) {
		idx, checks := s.store.ChecksInState(ws, state)
		return idx, s.checkList(checks), nil
	})
}

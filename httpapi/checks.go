package httpapi

import (
	"net/http"

	"github.com/rosterhq/roster/registry"
)

// handleAgentChecks lists the checks of this agent's node, from its replica.
func (s *Server) handleAgentChecks(w http.ResponseWriter, r *http.Request) {
	_, checks := s.store.NodeChecks(nil, s.cfg.NodeName)
	out := make(map[string]apiHealthCheck, len(checks))
	for _, c := range checks {
		out[c.CheckID] = toAPIHealthCheck(c, s.tagsOf(c))
	}
	writeJSON(w, r, out)
}

func (s *Server) handleCheckRegister(w http.ResponseWriter, r *http.Request) {
	var cd checkDefinition
	if err := decodeJSON(r, &cd); err != nil {
		s.writeError(w, r, err)
		return
	}
	if cd.Name == "" {
		s.writeError(w, r, badRequest("Name is required"))
		return
	}
	c, err := s.toCheck(&cd, cd.Name, cd.Name, false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if c.ServiceID != "" && s.store.Instance(s.cfg.NodeName, c.ServiceID) == nil {
		s.writeError(w, r, badRequest("ServiceID %q is not registered on this agent", c.ServiceID))
		return
	}
	c.Node = s.cfg.NodeName
	if _, err := s.apply(r, &registry.RegisterCheck{Check: c}); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) handleCheckDeregister(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if id == registry.NodeHealthCheckID {
		s.writeError(w, r, badRequest("%s is the node-liveness check; it cannot be deregistered", id))
		return
	}
	if s.store.Check(s.cfg.NodeName, id) == nil {
		s.writeError(w, r, notFound("unknown check ID %q", id))
		return
	}
	if _, err := s.apply(r, &registry.DeregisterCheck{Node: s.cfg.NodeName, CheckID: id}); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// handleCheckTTL serves /v1/agent/check/pass|warn|fail/:id?note=.
func (s *Server) handleCheckTTL(status registry.Health) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		note := r.URL.Query().Get("note")
		if err := validateText("note", note, maxCheckOutput); err != nil {
			s.writeError(w, r, err)
			return
		}
		s.updateTTL(w, r, r.PathValue("id"), status, note)
	}
}

// checkUpdate is the body of /v1/agent/check/update/:id.
type checkUpdate struct {
	Status string
	Output string
}

const maxCheckOutput = 4 << 10

func (s *Server) handleCheckUpdate(w http.ResponseWriter, r *http.Request) {
	var u checkUpdate
	if err := decodeJSON(r, &u); err != nil {
		s.writeError(w, r, err)
		return
	}
	status := registry.Health(u.Status)
	if !status.Valid() {
		s.writeError(w, r, badRequest("Status %q must be passing, warning or critical", u.Status))
		return
	}
	s.updateTTL(w, r, r.PathValue("id"), status, u.Output)
}

func (s *Server) updateTTL(w http.ResponseWriter, r *http.Request, id string, status registry.Health, output string) {
	if len(output) > maxCheckOutput {
		output = output[:maxCheckOutput]
	}
	if err := s.backend.UpdateTTL(id, status, output); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

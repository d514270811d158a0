package httpapi

import (
	"net/http"
	"strconv"

	"github.com/rosterhq/roster/registry"
)

func (s *Server) handleServiceRegister(w http.ResponseWriter, r *http.Request) {
	var def serviceDefinition
	if err := decodeJSON(r, &def); err != nil {
		s.writeError(w, r, err)
		return
	}
	inst, checks, err := s.toInstance(&def)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	replace, err := boolParam(r, "replace-existing-checks")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cmd := &registry.RegisterService{Node: s.localNode(), Instance: inst, Checks: checks, ReplaceChecks: replace}
	if _, err := s.apply(r, cmd); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) handleServiceDeregister(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := validateID("service ID", id); err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.store.Instance(s.cfg.NodeName, id) == nil {
		s.writeError(w, r, notFound("unknown service ID %q", id))
		return
	}
	if _, err := s.apply(r, &registry.DeregisterService{Node: s.cfg.NodeName, ServiceID: id}); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// handleAgentServices lists the instances this agent owns, from its replica.
func (s *Server) handleAgentServices(w http.ResponseWriter, r *http.Request) {
	_, _, instances := s.store.NodeServices(nil, s.cfg.NodeName)
	out := make(map[string]apiAgentService, len(instances))
	for _, inst := range instances {
		out[inst.ID] = toAPIAgentService(inst, s.cfg.Datacenter, false)
	}
	writeJSON(w, r, out)
}

func (s *Server) handleAgentService(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	inst := s.store.Instance(s.cfg.NodeName, id)
	if inst == nil {
		s.writeError(w, r, notFound("unknown service ID %q", id))
		return
	}
	writeJSON(w, r, toAPIAgentService(inst, s.cfg.Datacenter, true))
}

func (s *Server) handleAgentSelf(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, r, map[string]any{
		"Stats": s.backend.Stats(),
		"Config": map[string]any{
			"Datacenter": s.cfg.Datacenter,
			"NodeName":   s.cfg.NodeName,
			"NodeID":     s.cfg.NodeID,
			"Server":     true,
			"Version":    s.cfg.Version,
			"Revision":   "",
		},
		"Member": map[string]any{
			"Name": s.cfg.NodeName,
			"Addr": s.cfg.NodeAddress,
			"Tags": map[string]string{"role": "consul", "dc": s.cfg.Datacenter, "id": s.cfg.NodeID},
		},
	})
}

// boolParam reads a Consul-style flag: present with no value, "true" or
// "false".
func boolParam(r *http.Request, name string) (bool, error) {
	q := r.URL.Query()
	if _, ok := q[name]; !ok {
		return false, nil
	}
	v := q.Get(name)
	if v == "" {
		return true, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badRequest("%s=%q is not a boolean", name, v)
	}
	return b, nil
}

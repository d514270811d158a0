package httpapi

import (
	"net/http"

	"github.com/hashicorp/go-memdb"

	"github.com/rosterhq/roster/registry"
)

func (s *Server) handleCatalogServices(w http.ResponseWriter, r *http.Request) {
	s.blockingRead(w, r, func(ws memdb.WatchSet) (uint64, any, error) {
		idx, services := s.store.Services(ws)
		return idx, services, nil
	})
}

func (s *Server) handleCatalogService(w http.ResponseWriter, r *http.Request) {
	name, tag := r.PathValue("name"), r.URL.Query().Get("tag")
	s.blockingRead(w, r, func(ws memdb.WatchSet) (uint64, any, error) {
		idx, nodes := s.store.ServiceNodes(ws, name, tag)
		out := make([]apiCatalogService, 0, len(nodes))
		for _, sn := range nodes {
			out = append(out, toAPICatalogService(sn, s.cfg.Datacenter))
		}
		return idx, out, nil
	})
}

func (s *Server) handleCatalogNodes(w http.ResponseWriter, r *http.Request) {
	s.blockingRead(w, r, func(ws memdb.WatchSet) (uint64, any, error) {
		idx, nodes := s.store.Nodes(ws)
		out := make([]apiNode, 0, len(nodes))
		for _, n := range nodes {
			out = append(out, toAPINode(n, s.cfg.Datacenter))
		}
		return idx, out, nil
	})
}

// catalogNode is Consul's /v1/catalog/node/:node body.
type catalogNode struct {
	Node     apiNode
	Services map[string]apiAgentService
}

func (s *Server) handleCatalogNode(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("node")
	s.blockingRead(w, r, func(ws memdb.WatchSet) (uint64, any, error) {
		idx, node, instances := s.store.NodeServices(ws, name)
		if node == nil {
			return idx, nil, nil // Consul answers 404 for an unknown node
		}
		out := catalogNode{Node: toAPINode(node, s.cfg.Datacenter), Services: map[string]apiAgentService{}}
		for _, inst := range instances {
			out.Services[inst.ID] = toAPIAgentService(inst, s.cfg.Datacenter, true)
		}
		return idx, out, nil
	})
}

func (s *Server) handleDatacenters(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, r, []string{s.cfg.Datacenter})
}

// tagsOf returns the tags of the instance a check belongs to, for the
// ServiceTags field of Consul's HealthCheck.
func (s *Server) tagsOf(c *registry.Check) []string {
	if c.ServiceID == "" {
		return nil
	}
	if inst := s.store.Instance(c.Node, c.ServiceID); inst != nil {
		return inst.Tags
	}
	return nil
}

package httpapi

import "net/http"

func (s *Server) handleStatusLeader(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, r, s.backend.Leader())
}

func (s *Server) handleStatusPeers(w http.ResponseWriter, r *http.Request) {
	peers, err := s.backend.Peers()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if peers == nil {
		peers = []string{}
	}
	writeJSON(w, r, peers)
}

// RaftServer is one server of the Raft configuration, in the shape of
// Consul's /v1/operator/raft/configuration.
type RaftServer struct {
	ID              string
	Node            string
	Address         string
	Leader          bool
	Voter           bool
	ProtocolVersion string
}

func (s *Server) handleRaftConfiguration(w http.ResponseWriter, r *http.Request) {
	servers, index, err := s.backend.RaftConfiguration()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if servers == nil {
		servers = []RaftServer{}
	}
	writeJSON(w, r, map[string]any{"Servers": servers, "Index": index})
}

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

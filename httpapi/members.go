package httpapi

import (
	"context"
	"net/http"
)

// Member is one gossip member as /v1/agent/members reports it (Consul's
// AgentMember; Status uses serf's codes: 1 alive, 2 leaving, 3 left,
// 4 failed).
type Member struct {
	Name   string
	Addr   string
	Port   uint16
	Tags   map[string]string
	Status int
}

// Membership is the gossip side of the agent. Implementations must be safe
// for concurrent use.
type Membership interface {
	// Members returns every member this agent knows, itself included.
	Members() []Member
	// Join contacts an existing member at addr ("ip" or "ip:port").
	Join(ctx context.Context, addr string) error
	// Leave leaves the cluster gracefully and returns when it is done; the
	// agent stops afterwards.
	Leave(ctx context.Context) error
}

// apiMember adds the protocol fields Consul's clients expect.
type apiMember struct {
	Member
	ProtocolMin uint8
	ProtocolMax uint8
	ProtocolCur uint8
	DelegateMin uint8
	DelegateMax uint8
	DelegateCur uint8
}

func (s *Server) handleMembers(w http.ResponseWriter, r *http.Request) {
	members := s.members.Members()
	out := make([]apiMember, 0, len(members))
	for _, m := range members {
		out = append(out, apiMember{Member: m, ProtocolMin: 1, ProtocolMax: 5, ProtocolCur: 2,
			DelegateMin: 2, DelegateMax: 5, DelegateCur: 4})
	}
	writeJSON(w, r, out)
}

func (s *Server) handleJoin(w http.ResponseWriter, r *http.Request) {
	addr := r.PathValue("address")
	if err := validateText("address", addr, 255); err != nil || addr == "" {
		s.writeError(w, r, badRequest("address %q is not a host or host:port", addr))
		return
	}
	if err := s.members.Join(r.Context(), addr); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) handleLeave(w http.ResponseWriter, r *http.Request) {
	if err := s.members.Leave(r.Context()); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

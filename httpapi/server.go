package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/rosterhq/roster/registry"
)

// Consistency is a read's consistency mode (Consul's query parameters).
type Consistency int

// The modes.
const (
	ConsistencyDefault    Consistency = iota // the leader's view
	ConsistencyStale                         // ?stale: this node's replica
	ConsistencyConsistent                    // ?consistent: quorum-confirmed
)

// Backend is what the API needs from the rest of the agent. Implementations
// must be safe for concurrent use.
type Backend interface {
	// Apply commits a command and returns the state machine's result. It
	// blocks until the command is committed or fails; failures not caused
	// by the command are ErrNoLeader, ErrUnknownOutcome or ErrShuttingDown.
	Apply(ctx context.Context, cmd registry.Command) (registry.Result, error)
	// Barrier blocks until the local replica may answer a read in mode.
	Barrier(ctx context.Context, mode Consistency) error
	// Leader returns the leader's Raft address, or "" when there is none.
	Leader() string
	// Peers returns the Raft addresses of the voting servers.
	Peers() ([]string, error)
	// LastContact is the time since this node last heard from a leader
	// (0 on the leader) and whether a leader is known at all.
	LastContact() (time.Duration, bool)
	// Stats returns named groups of counters for /v1/agent/self; "raft"
	// holds Raft's own (state, term, applied_index, commit_index, ...).
	Stats() map[string]map[string]string
	// RaftConfiguration returns the Raft servers with their suffrage and
	// the leader marked, and the configuration's index.
	RaftConfiguration() ([]RaftServer, uint64, error)
	// UpdateTTL records a TTL check report from the service. It does not
	// wait for the write; errors wrap ErrNotFound (no such check on this
	// agent) or ErrBadRequest (not a TTL check, bad status).
	UpdateTTL(checkID string, status registry.Health, output string) error
}

// Config configures the API.
type Config struct {
	// NodeName, NodeID and NodeAddress identify the local agent's node:
	// agent endpoints register instances on it.
	NodeName    string
	NodeID      string
	NodeAddress string
	Datacenter  string
	// MaxBodyBytes caps request bodies (413 beyond). KV values have their
	// own, smaller limit.
	MaxBodyBytes int64
	// EnableScriptChecks allows checks that run programs (Args).
	EnableScriptChecks bool
	// MinDeregisterCriticalAfter is the smallest DeregisterCriticalServiceAfter
	// accepted (Consul's is one minute; tests lower it).
	MinDeregisterCriticalAfter time.Duration
	// MaxBlockingWait caps ?wait= on blocking queries; DefaultBlockingWait
	// applies when the client gives none.
	DefaultBlockingWait time.Duration
	MaxBlockingWait     time.Duration
	// Version is reported by /v1/agent/self.
	Version string
	Logger  *slog.Logger
}

// DefaultConfig returns Consul's limits.
func DefaultConfig() Config {
	return Config{
		Datacenter:                 "dc1",
		MaxBodyBytes:               1 << 20,
		MinDeregisterCriticalAfter: time.Minute,
		DefaultBlockingWait:        5 * time.Minute,
		MaxBlockingWait:            10 * time.Minute,
	}
}

// Validate reports the first problem with c.
func (c Config) Validate() error {
	switch {
	case c.NodeName == "":
		return errors.New("http api: node name is required")
	case c.MaxBodyBytes <= 0:
		return errors.New("http api: body limit must be positive")
	case c.DefaultBlockingWait <= 0 || c.MaxBlockingWait < c.DefaultBlockingWait:
		return errors.New("http api: blocking waits must be positive, max at least default")
	}
	return nil
}

// Server serves the API. Create it with New; it is an http.Handler.
type Server struct {
	cfg     Config
	logger  *slog.Logger
	store   *registry.Store
	backend Backend
	members Membership
	mux     *http.ServeMux

	// stopping ends every parked blocking query (see StopBlocking).
	stopping context.Context
	stop     context.CancelFunc
}

// New builds the API over a store (reads), a backend (writes) and the
// agent's gossip membership.
func New(cfg Config, store *registry.Store, backend Backend, members Membership) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if store == nil || backend == nil || members == nil {
		return nil, errors.New("http api: store, backend and membership are required")
	}
	s := &Server{cfg: cfg, logger: cfg.Logger, store: store, backend: backend, members: members, mux: http.NewServeMux()}
	s.stopping, s.stop = context.WithCancel(context.Background())
	s.routes()
	return s, nil
}

// StopBlocking answers every parked blocking query now, with what it has,
// so a graceful HTTP shutdown does not wait out their waits. Call it just
// before http.Server.Shutdown; later blocking queries return at once.
func (s *Server) StopBlocking() { s.stop() }

// Handle registers an extra route (used by the agent for endpoints that
// need parts this package does not know, such as gossip membership).
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	s.mux.ServeHTTP(w, r)
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("PUT /v1/agent/service/register", s.handleServiceRegister)
	m.HandleFunc("PUT /v1/agent/service/deregister/{id}", s.handleServiceDeregister)
	m.HandleFunc("GET /v1/agent/services", s.handleAgentServices)
	m.HandleFunc("GET /v1/agent/service/{id}", s.handleAgentService)
	m.HandleFunc("GET /v1/agent/self", s.handleAgentSelf)
	m.HandleFunc("GET /v1/agent/members", s.handleMembers)
	m.HandleFunc("PUT /v1/agent/join/{address}", s.handleJoin)
	m.HandleFunc("PUT /v1/agent/leave", s.handleLeave)
	m.HandleFunc("GET /v1/agent/checks", s.handleAgentChecks)
	m.HandleFunc("PUT /v1/agent/check/register", s.handleCheckRegister)
	m.HandleFunc("PUT /v1/agent/check/deregister/{id}", s.handleCheckDeregister)
	m.HandleFunc("PUT /v1/agent/check/pass/{id}", s.handleCheckTTL(registry.HealthPassing))
	m.HandleFunc("PUT /v1/agent/check/warn/{id}", s.handleCheckTTL(registry.HealthWarning))
	m.HandleFunc("PUT /v1/agent/check/fail/{id}", s.handleCheckTTL(registry.HealthCritical))
	m.HandleFunc("PUT /v1/agent/check/update/{id}", s.handleCheckUpdate)

	m.HandleFunc("GET /v1/catalog/services", s.handleCatalogServices)
	m.HandleFunc("GET /v1/catalog/service/{name}", s.handleCatalogService)
	m.HandleFunc("GET /v1/catalog/nodes", s.handleCatalogNodes)
	m.HandleFunc("GET /v1/catalog/node/{node}", s.handleCatalogNode)
	m.HandleFunc("GET /v1/catalog/datacenters", s.handleDatacenters)

	m.HandleFunc("GET /v1/health/service/{name}", s.handleHealthService)
	m.HandleFunc("GET /v1/health/node/{node}", s.handleHealthNode)
	m.HandleFunc("GET /v1/health/checks/{service}", s.handleHealthChecks)
	m.HandleFunc("GET /v1/health/state/{state}", s.handleHealthState)

	m.HandleFunc("GET /v1/kv/{key...}", s.handleKVGet)
	m.HandleFunc("PUT /v1/kv/{key...}", s.handleKVPut)
	m.HandleFunc("DELETE /v1/kv/{key...}", s.handleKVDelete)

	m.HandleFunc("GET /v1/operator/raft/configuration", s.handleRaftConfiguration)
	m.HandleFunc("GET /v1/status/leader", s.handleStatusLeader)
	m.HandleFunc("GET /v1/status/peers", s.handleStatusPeers)
}

// writeJSON answers 200 with v as JSON (indented with ?pretty).
func writeJSON(w http.ResponseWriter, r *http.Request, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	if _, ok := r.URL.Query()["pretty"]; ok {
		enc.SetIndent("", "    ")
	}
	_ = enc.Encode(v)
}

// apply commits cmd, mapping a rejected command to its error.
func (s *Server) apply(r *http.Request, cmd registry.Command) (registry.Result, error) {
	res, err := s.backend.Apply(r.Context(), cmd)
	if err != nil {
		return res, err
	}
	return res, res.Err
}

// localNode is the agent's own node, as registrations carry it.
func (s *Server) localNode() registry.Node {
	return registry.Node{ID: s.cfg.NodeID, Name: s.cfg.NodeName, Address: s.cfg.NodeAddress, Datacenter: s.cfg.Datacenter}
}

func setIndexHeader(w http.ResponseWriter, idx uint64) {
	w.Header().Set("X-Consul-Index", strconv.FormatUint(idx, 10))
}

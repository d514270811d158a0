package registry

import (
	"maps"
	"slices"
	"time"
)

// Health is a check's or an instance's status, as Consul names them.
type Health string

// The statuses, from best to worst.
const (
	HealthPassing  Health = "passing"
	HealthWarning  Health = "warning"
	HealthCritical Health = "critical"
)

// Valid reports whether h is one of the three statuses.
func (h Health) Valid() bool {
	return h == HealthPassing || h == HealthWarning || h == HealthCritical
}

// rank orders statuses so that the worst of several can be taken with max.
func (h Health) rank() int {
	switch h {
	case HealthPassing:
		return 0
	case HealthWarning:
		return 1
	default:
		return 2
	}
}

// Worse returns the worse of h and o.
func (h Health) Worse(o Health) Health {
	if o.rank() > h.rank() {
		return o
	}
	return h
}

// NodeHealthCheckID is the ID of the node-liveness check the leader keeps for
// every node from gossip. Consul calls it serfHealth; clients look for it.
const NodeHealthCheckID = "serfHealth"

// Node is a machine running a roster agent.
type Node struct {
	ID          string            `json:"id,omitempty"`
	Name        string            `json:"name"`
	Address     string            `json:"addr"`
	Datacenter  string            `json:"dc,omitempty"`
	Meta        map[string]string `json:"meta,omitempty"`
	CreateIndex uint64            `json:"ci,omitempty"`
	ModifyIndex uint64            `json:"mi,omitempty"`
}

// Weights are an instance's DNS weights while passing and while in warning.
type Weights struct {
	Passing int `json:"p"`
	Warning int `json:"w"`
}

// DefaultWeights are Consul's defaults.
var DefaultWeights = Weights{Passing: 1, Warning: 1}

// Instance is one registered instance of a service, owned by a node.
type Instance struct {
	Node              string            `json:"node"`
	ID                string            `json:"id"`
	Name              string            `json:"name"`
	Tags              []string          `json:"tags,omitempty"`
	Address           string            `json:"addr,omitempty"`
	Port              int               `json:"port,omitempty"`
	Meta              map[string]string `json:"meta,omitempty"`
	Weights           Weights           `json:"w"`
	EnableTagOverride bool              `json:"eto,omitempty"`
	CreateIndex       uint64            `json:"ci,omitempty"`
	ModifyIndex       uint64            `json:"mi,omitempty"`
}

// HasTag reports whether the instance carries tag, compared case-insensitively
// as DNS names are.
func (i *Instance) HasTag(tag string) bool {
	for _, t := range i.Tags {
		if equalFoldASCII(t, tag) {
			return true
		}
	}
	return false
}

// sameContent reports whether two instances differ only in their indexes.
func (i *Instance) sameContent(o *Instance) bool {
	return i.Node == o.Node && i.ID == o.ID && i.Name == o.Name &&
		slices.Equal(i.Tags, o.Tags) && i.Address == o.Address && i.Port == o.Port &&
		maps.Equal(i.Meta, o.Meta) && i.Weights == o.Weights &&
		i.EnableTagOverride == o.EnableTagOverride
}

// CheckDefinition says how the owning agent runs a check. The state machine
// only stores it; the checks package interprets it.
type CheckDefinition struct {
	Interval                       time.Duration       `json:"interval,omitempty"`
	Timeout                        time.Duration       `json:"timeout,omitempty"`
	TTL                            time.Duration       `json:"ttl,omitempty"`
	HTTP                           string              `json:"http,omitempty"`
	Method                         string              `json:"method,omitempty"`
	Header                         map[string][]string `json:"header,omitempty"`
	Body                           string              `json:"body,omitempty"`
	TLSSkipVerify                  bool                `json:"tlsSkipVerify,omitempty"`
	TLSServerName                  string              `json:"tlsServerName,omitempty"`
	TCP                            string              `json:"tcp,omitempty"`
	GRPC                           string              `json:"grpc,omitempty"`
	GRPCUseTLS                     bool                `json:"grpcTLS,omitempty"`
	Args                           []string            `json:"args,omitempty"`
	SuccessBeforePassing           int                 `json:"sbp,omitempty"`
	FailuresBeforeWarning          int                 `json:"fbw,omitempty"`
	FailuresBeforeCritical         int                 `json:"fbc,omitempty"`
	DeregisterCriticalServiceAfter time.Duration       `json:"dcsa,omitempty"`
}

// Equal reports whether two definitions describe the same probe.
func (d *CheckDefinition) Equal(o *CheckDefinition) bool {
	return d.Interval == o.Interval && d.Timeout == o.Timeout && d.TTL == o.TTL &&
		d.HTTP == o.HTTP && d.Method == o.Method && headersEqual(d.Header, o.Header) &&
		d.Body == o.Body && d.TLSSkipVerify == o.TLSSkipVerify &&
		d.TLSServerName == o.TLSServerName && d.TCP == o.TCP && d.GRPC == o.GRPC &&
		d.GRPCUseTLS == o.GRPCUseTLS && slices.Equal(d.Args, o.Args) &&
		d.SuccessBeforePassing == o.SuccessBeforePassing &&
		d.FailuresBeforeWarning == o.FailuresBeforeWarning &&
		d.FailuresBeforeCritical == o.FailuresBeforeCritical &&
		d.DeregisterCriticalServiceAfter == o.DeregisterCriticalServiceAfter
}

func headersEqual(a, b map[string][]string) bool {
	return maps.EqualFunc(a, b, func(x, y []string) bool { return slices.Equal(x, y) })
}

// Check types, as Consul reports them in HealthCheck.Type.
const (
	CheckTypeHTTP   = "http"
	CheckTypeTCP    = "tcp"
	CheckTypeTTL    = "ttl"
	CheckTypeGRPC   = "grpc"
	CheckTypeScript = "script"
	CheckTypeSerf   = "" // the node-liveness check has no type in Consul
)

// Check is a health check on a node, or on one instance when ServiceID is set.
type Check struct {
	Node        string          `json:"node"`
	CheckID     string          `json:"id"`
	Name        string          `json:"name"`
	Status      Health          `json:"status"`
	Notes       string          `json:"notes,omitempty"`
	Output      string          `json:"output,omitempty"`
	ServiceID   string          `json:"sid,omitempty"`
	ServiceName string          `json:"sname,omitempty"`
	Type        string          `json:"type,omitempty"`
	Definition  CheckDefinition `json:"def"`
	CreateIndex uint64          `json:"ci,omitempty"`
	ModifyIndex uint64          `json:"mi,omitempty"`
}

// sameContent reports whether two checks differ only in their indexes.
func (c *Check) sameContent(o *Check) bool {
	return c.Node == o.Node && c.CheckID == o.CheckID && c.Name == o.Name &&
		c.Status == o.Status && c.Notes == o.Notes && c.Output == o.Output &&
		c.ServiceID == o.ServiceID && c.ServiceName == o.ServiceName &&
		c.Type == o.Type && c.Definition.Equal(&o.Definition)
}

// KVEntry is one key in the configuration store.
type KVEntry struct {
	Key         string `json:"k"`
	Value       []byte `json:"v,omitempty"`
	Flags       uint64 `json:"f,omitempty"`
	LockIndex   uint64 `json:"li,omitempty"`
	Session     string `json:"s,omitempty"`
	CreateIndex uint64 `json:"ci,omitempty"`
	ModifyIndex uint64 `json:"mi,omitempty"`
}

// tombstone remembers the index at which a key was deleted, so that a prefix
// query's index still moves forward when its last key goes away.
type tombstone struct {
	Key   string `json:"k"`
	Index uint64 `json:"i"`
}

// indexEntry is a row of the index table: the last Raft index that changed a
// table or a service.
type indexEntry struct {
	Key   string `json:"k"`
	Value uint64 `json:"v"`
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

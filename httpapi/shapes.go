package httpapi

import (
	"maps"
	"time"

	"github.com/rosterhq/roster/registry"
)

// The JSON shapes below are Consul's (field names and nesting), so Consul's
// clients decode them unchanged.

type apiWeights struct {
	Passing int
	Warning int
}

type apiNode struct {
	ID              string
	Node            string
	Address         string
	Datacenter      string
	TaggedAddresses map[string]string
	Meta            map[string]string
	CreateIndex     uint64
	ModifyIndex     uint64
}

type apiAgentService struct {
	ID                string
	Service           string
	Tags              []string
	Meta              map[string]string
	Port              int
	Address           string
	Weights           apiWeights
	EnableTagOverride bool
	Datacenter        string
	CreateIndex       uint64 `json:",omitempty"`
	ModifyIndex       uint64 `json:",omitempty"`
}

type apiCatalogService struct {
	ID                       string
	Node                     string
	Address                  string
	Datacenter               string
	TaggedAddresses          map[string]string
	NodeMeta                 map[string]string
	ServiceID                string
	ServiceName              string
	ServiceAddress           string
	ServiceTags              []string
	ServiceMeta              map[string]string
	ServicePort              int
	ServiceWeights           apiWeights
	ServiceEnableTagOverride bool
	CreateIndex              uint64
	ModifyIndex              uint64
}

type apiCheckDefinition struct {
	HTTP                           string              `json:",omitempty"`
	Header                         map[string][]string `json:",omitempty"`
	Method                         string              `json:",omitempty"`
	Body                           string              `json:",omitempty"`
	TLSServerName                  string              `json:",omitempty"`
	TLSSkipVerify                  bool                `json:",omitempty"`
	TCP                            string              `json:",omitempty"`
	GRPC                           string              `json:",omitempty"`
	GRPCUseTLS                     bool                `json:",omitempty"`
	ScriptArgs                     []string            `json:",omitempty"`
	Interval                       string
	Timeout                        string
	TTL                            string
	DeregisterCriticalServiceAfter string
}

type apiHealthCheck struct {
	Node        string
	CheckID     string
	Name        string
	Status      string
	Notes       string
	Output      string
	ServiceID   string
	ServiceName string
	ServiceTags []string
	Type        string
	Definition  apiCheckDefinition
	CreateIndex uint64
	ModifyIndex uint64
}

type apiServiceEntry struct {
	Node    apiNode
	Service apiAgentService
	Checks  []apiHealthCheck
}

func nonNilTags(t []string) []string {
	if t == nil {
		return []string{}
	}
	return t
}

func nonNilMeta(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func toAPINode(n *registry.Node, dc string) apiNode {
	if n == nil {
		return apiNode{}
	}
	return apiNode{
		ID: n.ID, Node: n.Name, Address: n.Address, Datacenter: orDefault(n.Datacenter, dc),
		TaggedAddresses: map[string]string{"lan": n.Address, "wan": n.Address},
		Meta:            nonNilMeta(maps.Clone(n.Meta)),
		CreateIndex:     n.CreateIndex, ModifyIndex: n.ModifyIndex,
	}
}

func toAPIAgentService(i *registry.Instance, dc string, withIndexes bool) apiAgentService {
	s := apiAgentService{
		ID: i.ID, Service: i.Name, Tags: nonNilTags(i.Tags), Meta: nonNilMeta(i.Meta),
		Port: i.Port, Address: i.Address,
		Weights:           apiWeights{Passing: i.Weights.Passing, Warning: i.Weights.Warning},
		EnableTagOverride: i.EnableTagOverride, Datacenter: dc,
	}
	if withIndexes {
		s.CreateIndex, s.ModifyIndex = i.CreateIndex, i.ModifyIndex
	}
	return s
}

func toAPICatalogService(sn registry.ServiceNode, dc string) apiCatalogService {
	n := toAPINode(sn.Node, dc)
	i := sn.Instance
	return apiCatalogService{
		ID: n.ID, Node: i.Node, Address: n.Address, Datacenter: n.Datacenter,
		TaggedAddresses: n.TaggedAddresses, NodeMeta: n.Meta,
		ServiceID: i.ID, ServiceName: i.Name, ServiceAddress: i.Address,
		ServiceTags: nonNilTags(i.Tags), ServiceMeta: nonNilMeta(i.Meta), ServicePort: i.Port,
		ServiceWeights:           apiWeights{Passing: i.Weights.Passing, Warning: i.Weights.Warning},
		ServiceEnableTagOverride: i.EnableTagOverride,
		CreateIndex:              i.CreateIndex, ModifyIndex: i.ModifyIndex,
	}
}

// durString formats a duration as Consul does ("0s" for none): Consul's Go
// client fails to decode an empty string.
func durString(d time.Duration) string { return d.String() }

func toAPICheckDefinition(d registry.CheckDefinition) apiCheckDefinition {
	return apiCheckDefinition{
		HTTP: d.HTTP, Header: d.Header, Method: d.Method, Body: d.Body,
		TLSServerName: d.TLSServerName, TLSSkipVerify: d.TLSSkipVerify, TCP: d.TCP,
		GRPC: d.GRPC, GRPCUseTLS: d.GRPCUseTLS, ScriptArgs: d.Args,
		Interval: durString(d.Interval), Timeout: durString(d.Timeout), TTL: durString(d.TTL),
		DeregisterCriticalServiceAfter: durString(d.DeregisterCriticalServiceAfter),
	}
}

// toAPIHealthCheck converts a check; tags are the owning instance's, which
// the caller supplies because checks do not store them.
func toAPIHealthCheck(c *registry.Check, tags []string) apiHealthCheck {
	return apiHealthCheck{
		Node: c.Node, CheckID: c.CheckID, Name: c.Name, Status: string(c.Status),
		Notes: c.Notes, Output: c.Output, ServiceID: c.ServiceID, ServiceName: c.ServiceName,
		ServiceTags: nonNilTags(tags), Type: c.Type, Definition: toAPICheckDefinition(c.Definition),
		CreateIndex: c.CreateIndex, ModifyIndex: c.ModifyIndex,
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

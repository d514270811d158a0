package httpapi

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rosterhq/roster/registry"
)

// Limits on registration fields. Names used in DNS follow label rules.
const (
	maxIDLen         = 256
	maxTags          = 64
	maxTagLen        = 255
	maxMetaPairs     = 64
	maxMetaKeyLen    = 128
	maxMetaValueLen  = 512
	maxChecks        = 32
	maxNotesLen      = 1024
	maxCheckBodyLen  = 64 << 10
	maxThreshold     = 1000
	minCheckInterval = time.Second
	defaultTimeout   = 10 * time.Second
)

// serviceDefinition is Consul's agent service registration body. Every
// field Consul accepts is here, so Consul clients never get a 400 for a
// field they always send; the ones roster does not use are kept as raw
// JSON and ignored.
type serviceDefinition struct {
	ID                string
	Name              string
	Tags              []string
	Address           string
	Port              *int
	Meta              map[string]string
	Weights           *apiWeights
	EnableTagOverride bool
	Check             *checkDefinition
	Checks            []*checkDefinition

	Kind            json.RawMessage
	Ports           json.RawMessage
	SocketPath      json.RawMessage
	TaggedAddresses json.RawMessage
	Proxy           json.RawMessage
	Connect         json.RawMessage
	AI              json.RawMessage
	Namespace       json.RawMessage
	Partition       json.RawMessage
	Locality        json.RawMessage
	Token           json.RawMessage
	PeerName        json.RawMessage
}

// checkDefinition is Consul's check body, used both inside a service
// registration and on its own (/v1/agent/check/register, where ID and
// ServiceID apply).
type checkDefinition struct {
	ID                             string
	CheckID                        string
	Name                           string
	Notes                          string
	Status                         string
	ServiceID                      string
	Args                           []string
	ScriptArgs                     []string
	Interval                       duration
	Timeout                        duration
	TTL                            duration
	HTTP                           string
	Header                         map[string][]string
	Method                         string
	Body                           string
	TLSServerName                  string
	TLSSkipVerify                  bool
	TCP                            string
	GRPC                           string
	GRPCUseTLS                     bool
	SuccessBeforePassing           int
	FailuresBeforeWarning          int
	FailuresBeforeCritical         int
	DeregisterCriticalServiceAfter duration

	// Accepted for compatibility; the check kinds they select are refused.
	DockerContainerID string
	Shell             json.RawMessage
	TCPUseTLS         json.RawMessage
	UDP               string
	H2PING            string
	H2PingUseTLS      json.RawMessage
	AliasNode         string
	AliasService      string
	OSService         string
	DisableRedirects  json.RawMessage
	OutputMaxSize     json.RawMessage
	ProxyHTTP         json.RawMessage
	ProxyGRPC         json.RawMessage
	Namespace         json.RawMessage
	Partition         json.RawMessage
	Type              json.RawMessage
	Token             json.RawMessage
}

// validateDNSLabel enforces RFC 1123 label rules on a name used in DNS.
func validateDNSLabel(field, s string) error {
	if s == "" {
		return badRequest("%s is required", field)
	}
	if len(s) > 63 {
		return badRequest("%s %q is longer than 63 characters (a DNS label)", field, s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' && i > 0 && i < len(s)-1
		if !ok {
			return badRequest("%s %q is not a valid DNS label: use letters, digits and inner hyphens", field, s)
		}
	}
	return nil
}

func validateText(field, s string, maxLen int) error {
	if len(s) > maxLen {
		return badRequest("%s is longer than %d bytes", field, maxLen)
	}
	if !utf8.ValidString(s) {
		return badRequest("%s is not valid UTF-8", field)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return badRequest("%s contains a control character", field)
		}
	}
	return nil
}

// validateID checks an ID used in URL paths.
func validateID(field, s string) error {
	if s == "" {
		return badRequest("%s is required", field)
	}
	if err := validateText(field, s, maxIDLen); err != nil {
		return err
	}
	if strings.ContainsAny(s, "/?#") {
		return badRequest("%s %q must not contain '/', '?' or '#'", field, s)
	}
	return nil
}

// validateHost accepts an IP address or an RFC 1123 host name.
func validateHost(field, s string) error {
	if net.ParseIP(s) != nil {
		return nil
	}
	if len(s) > 253 {
		return badRequest("%s %q is neither an IP address nor a host name", field, s)
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if validateDNSLabel(field, label) != nil {
			return badRequest("%s %q is neither an IP address nor a host name", field, s)
		}
	}
	return nil
}

func validateMeta(m map[string]string) error {
	if len(m) > maxMetaPairs {
		return badRequest("Meta has %d pairs; at most %d are allowed", len(m), maxMetaPairs)
	}
	for k, v := range m {
		if k == "" || len(k) > maxMetaKeyLen {
			return badRequest("Meta key %q must be 1 to %d characters", k, maxMetaKeyLen)
		}
		for i := 0; i < len(k); i++ {
			c := k[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return badRequest("Meta key %q may only contain letters, digits, '-' and '_'", k)
			}
		}
		if strings.HasPrefix(k, "consul-") {
			return badRequest("Meta key %q uses the reserved prefix \"consul-\"", k)
		}
		if len(v) > maxMetaValueLen || !utf8.ValidString(v) {
			return badRequest("Meta[%q] must be valid UTF-8 of at most %d bytes", k, maxMetaValueLen)
		}
	}
	return nil
}

// toInstance validates a registration body and builds the instance and its
// checks. It never looks at state: only the body.
func (s *Server) toInstance(def *serviceDefinition) (registry.Instance, []registry.Check, error) {
	var inst registry.Instance
	if err := validateDNSLabel("Name", def.Name); err != nil {
		return inst, nil, err
	}
	id := def.ID
	if id == "" {
		id = def.Name
	}
	if err := validateID("ID", id); err != nil {
		return inst, nil, err
	}
	if len(def.Tags) > maxTags {
		return inst, nil, badRequest("Tags has %d entries; at most %d are allowed", len(def.Tags), maxTags)
	}
	for _, t := range def.Tags {
		if t == "" {
			return inst, nil, badRequest("Tags must not contain an empty tag")
		}
		if err := validateText("tag", t, maxTagLen); err != nil {
			return inst, nil, err
		}
	}
	if def.Address != "" {
		if err := validateHost("Address", def.Address); err != nil {
			return inst, nil, err
		}
	}
	port := 0
	if def.Port != nil {
		port = *def.Port
		if port < 0 || port > 65535 {
			return inst, nil, badRequest("Port %d is out of range 0-65535", port)
		}
	}
	if err := validateMeta(def.Meta); err != nil {
		return inst, nil, err
	}
	weights := registry.DefaultWeights
	if def.Weights != nil {
		if def.Weights.Passing < 1 || def.Weights.Passing > 65535 {
			return inst, nil, badRequest("Weights.Passing %d is out of range 1-65535", def.Weights.Passing)
		}
		if def.Weights.Warning < 0 || def.Weights.Warning > 65535 {
			return inst, nil, badRequest("Weights.Warning %d is out of range 0-65535", def.Weights.Warning)
		}
		weights = registry.Weights{Passing: def.Weights.Passing, Warning: def.Weights.Warning}
	}
	inst = registry.Instance{
		ID: id, Name: def.Name, Tags: def.Tags, Address: def.Address, Port: port,
		Meta: def.Meta, Weights: weights, EnableTagOverride: def.EnableTagOverride,
	}
	defs := def.Checks
	if def.Check != nil {
		defs = append([]*checkDefinition{def.Check}, defs...)
	}
	if len(defs) > maxChecks {
		return inst, nil, badRequest("a service may have at most %d checks", maxChecks)
	}
	var checks []registry.Check
	seen := map[string]bool{}
	for i, cd := range defs {
		if cd == nil {
			continue
		}
		if cd.ServiceID != "" && cd.ServiceID != id {
			return inst, nil, badRequest("Checks[%d].ServiceID %q does not match the service ID %q", i, cd.ServiceID, id)
		}
		defaultID := "service:" + id
		if len(defs) > 1 {
			defaultID = fmt.Sprintf("service:%s:%d", id, i+1)
		}
		c, err := s.toCheck(cd, defaultID, fmt.Sprintf("Service '%s' check", def.Name), true)
		if err != nil {
			return inst, nil, err
		}
		if seen[c.CheckID] {
			return inst, nil, badRequest("check ID %q is used twice", c.CheckID)
		}
		seen[c.CheckID] = true
		checks = append(checks, c)
	}
	return inst, checks, nil
}

// toCheck validates one check definition. forService allows
// DeregisterCriticalServiceAfter, which only makes sense on a service check.
func (s *Server) toCheck(cd *checkDefinition, defaultID, defaultName string, forService bool) (registry.Check, error) {
	var c registry.Check
	id := cd.CheckID
	if id == "" {
		id = cd.ID
	}
	if id == "" {
		id = defaultID
	}
	if err := validateID("CheckID", id); err != nil {
		return c, err
	}
	if id == registry.NodeHealthCheckID {
		return c, badRequest("CheckID %q is reserved for node liveness", id)
	}
	name := cd.Name
	if name == "" {
		name = defaultName
	}
	if err := validateText("Name", name, maxIDLen); err != nil {
		return c, err
	}
	if err := validateText("Notes", cd.Notes, maxNotesLen); err != nil {
		return c, err
	}
	status := registry.HealthCritical
	if cd.Status != "" {
		status = registry.Health(cd.Status)
		if !status.Valid() {
			return c, badRequest("Status %q must be passing, warning or critical", cd.Status)
		}
	}
	switch {
	case cd.UDP != "":
		return c, badRequest("UDP checks are not supported by roster")
	case cd.H2PING != "":
		return c, badRequest("H2PING checks are not supported by roster")
	case cd.DockerContainerID != "":
		return c, badRequest("Docker checks are not supported by roster")
	case cd.AliasNode != "" || cd.AliasService != "":
		return c, badRequest("alias checks are not supported by roster")
	case cd.OSService != "":
		return c, badRequest("OSService checks are not supported by roster")
	}
	args := cd.Args
	if len(args) == 0 {
		args = cd.ScriptArgs
	}
	def := registry.CheckDefinition{
		HTTP: cd.HTTP, Method: cd.Method, Header: cd.Header, Body: cd.Body,
		TLSSkipVerify: cd.TLSSkipVerify, TLSServerName: cd.TLSServerName,
		TCP: cd.TCP, GRPC: cd.GRPC, GRPCUseTLS: cd.GRPCUseTLS, Args: args,
		SuccessBeforePassing: cd.SuccessBeforePassing, FailuresBeforeWarning: cd.FailuresBeforeWarning,
		FailuresBeforeCritical: cd.FailuresBeforeCritical,
	}
	var kinds []string
	for _, k := range []struct {
		set  bool
		kind string
	}{
		{cd.HTTP != "", registry.CheckTypeHTTP}, {cd.TCP != "", registry.CheckTypeTCP},
		{cd.TTL.Set, registry.CheckTypeTTL}, {cd.GRPC != "", registry.CheckTypeGRPC},
		{len(args) > 0, registry.CheckTypeScript},
	} {
		if k.set {
			kinds = append(kinds, k.kind)
		}
	}
	switch len(kinds) {
	case 0:
		return c, badRequest("check %q must define one of HTTP, TCP, TTL, GRPC or Args", id)
	case 1:
	default:
		return c, badRequest("check %q defines several kinds (%s); use one", id, strings.Join(kinds, ", "))
	}
	kind := kinds[0]
	if err := validateProbe(kind, cd, args, s.cfg.EnableScriptChecks); err != nil {
		return c, err
	}
	if kind == registry.CheckTypeTTL {
		if cd.TTL.Duration <= 0 {
			return c, badRequest("TTL must be positive")
		}
		def.TTL = cd.TTL.Duration
	} else {
		if !cd.Interval.Set {
			return c, badRequest("Interval is required for %s checks", kind)
		}
		if cd.Interval.Duration < minCheckInterval {
			return c, badRequest("Interval %s is below the minimum of %s", cd.Interval.Duration, minCheckInterval)
		}
		def.Interval = cd.Interval.Duration
		def.Timeout = min(defaultTimeout, def.Interval)
		if cd.Timeout.Set {
			if cd.Timeout.Duration <= 0 || cd.Timeout.Duration >= def.Interval {
				return c, badRequest("Timeout %s must be positive and less than Interval %s", cd.Timeout.Duration, def.Interval)
			}
			def.Timeout = cd.Timeout.Duration
		}
	}
	for field, v := range map[string]int{
		"SuccessBeforePassing": cd.SuccessBeforePassing, "FailuresBeforeWarning": cd.FailuresBeforeWarning,
		"FailuresBeforeCritical": cd.FailuresBeforeCritical,
	} {
		if v < 0 || v > maxThreshold {
			return c, badRequest("%s %d is out of range 0-%d", field, v, maxThreshold)
		}
	}
	if cd.DeregisterCriticalServiceAfter.Set {
		if !forService && cd.ServiceID == "" {
			return c, badRequest("DeregisterCriticalServiceAfter only applies to service checks")
		}
		if min := s.cfg.MinDeregisterCriticalAfter; cd.DeregisterCriticalServiceAfter.Duration < min {
			return c, badRequest("DeregisterCriticalServiceAfter %s is below the minimum of %s",
				cd.DeregisterCriticalServiceAfter.Duration, min)
		}
		def.DeregisterCriticalServiceAfter = cd.DeregisterCriticalServiceAfter.Duration
	}
	return registry.Check{
		CheckID: id, Name: name, Notes: cd.Notes, Status: status, Type: kind,
		ServiceID: cd.ServiceID, Definition: def,
	}, nil
}

// validateProbe checks the target of each kind of check.
func validateProbe(kind string, cd *checkDefinition, args []string, scriptsEnabled bool) error {
	switch kind {
	case registry.CheckTypeHTTP:
		u, err := url.Parse(cd.HTTP)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return badRequest("HTTP %q must be an http:// or https:// URL", cd.HTTP)
		}
		if cd.Method != "" {
			for _, r := range cd.Method {
				if r < 'A' || r > 'Z' {
					return badRequest("Method %q must be an upper-case HTTP method", cd.Method)
				}
			}
		}
		if len(cd.Body) > maxCheckBodyLen {
			return badRequest("Body is longer than %d bytes", maxCheckBodyLen)
		}
	case registry.CheckTypeTCP:
		if _, port, err := net.SplitHostPort(cd.TCP); err != nil || port == "" {
			return badRequest("TCP %q must be host:port", cd.TCP)
		}
	case registry.CheckTypeGRPC:
		hostport, _, _ := strings.Cut(cd.GRPC, "/")
		if _, port, err := net.SplitHostPort(hostport); err != nil || port == "" {
			return badRequest("GRPC %q must be host:port or host:port/service", cd.GRPC)
		}
	case registry.CheckTypeScript:
		if !scriptsEnabled {
			return badRequest("script checks (Args) are disabled; start the agent with --enable-script-checks")
		}
		if args[0] == "" {
			return badRequest("Args[0] must name a program")
		}
	}
	if kind != registry.CheckTypeHTTP && (cd.Method != "" || cd.Body != "" || len(cd.Header) > 0) {
		return badRequest("Method, Header and Body only apply to HTTP checks")
	}
	return nil
}

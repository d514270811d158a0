package httpapi

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rosterhq/roster/registry"
)

// FuzzRegisterBody feeds arbitrary bodies to the registration endpoint:
// it must never panic, a refusal must change nothing, and whatever it
// accepts must satisfy the registry's invariants.
func FuzzRegisterBody(f *testing.F) {
	for _, seed := range []string{
		`{"Name":"web","ID":"web-1","Port":8080,"Address":"10.0.0.1","Tags":["v1"]}`,
		`{"Name":"web","Weights":{"Passing":5,"Warning":1},"Meta":{"a":"b"}}`,
		`{"Name":"web","Check":{"HTTP":"http://127.0.0.1/health","Interval":"10s","Timeout":"1s"}}`,
		`{"Name":"web","Checks":[{"TTL":"30s"},{"TCP":"127.0.0.1:80","Interval":"5s"}]}`,
		`{"Name":"web","Check":{"GRPC":"127.0.0.1:9000/svc","Interval":"5s","GRPCUseTLS":true}}`,
		`{"Name":"web","Check":{"Args":["/bin/true"],"Interval":"5s"}}`,
		`{"Name":"web","Port":-1}`, `{"Name":""}`, `{`, `[]`, `null`, `{"Name":"web"} x`,
		`{"Name":"a","Check":{"TTL":"1s","DeregisterCriticalServiceAfter":"90s","Status":"passing"}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		a := newTestAPI(t)
		before := a.snapshot()
		req := httptest.NewRequest("PUT", "/v1/agent/service/register", bytes.NewReader(body))
		rec := httptest.NewRecorder()
		a.srv.ServeHTTP(rec, req)
		switch rec.Code {
		case 200:
		case 400, 413:
			if !bytes.Equal(before, a.snapshot()) {
				t.Fatalf("refused body changed the state: %q", body)
			}
			if strings.TrimSpace(rec.Body.String()) == "" {
				t.Fatalf("refusal without a message for %q", body)
			}
			return
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
		_, instances := a.store.Nodes(nil)
		if len(instances) != 1 {
			t.Fatalf("accepted body registered %d nodes", len(instances))
		}
		_, _, list := a.store.NodeServices(nil, "n1")
		if len(list) != 1 {
			t.Fatalf("accepted body registered %d instances", len(list))
		}
		inst := list[0]
		if validateDNSLabel("Name", inst.Name) != nil || inst.ID == "" || inst.Port < 0 || inst.Port > 65535 ||
			inst.Weights.Passing < 1 || inst.Weights.Passing > 65535 || inst.Weights.Warning < 0 || inst.Weights.Warning > 65535 {
			t.Fatalf("accepted an invalid instance %+v from %q", inst, body)
		}
		_, checks := a.store.NodeChecks(nil, "n1")
		for _, c := range checks {
			timed := c.Type != registry.CheckTypeTTL
			if !c.Status.Valid() || c.Type == "" ||
				(timed && (c.Definition.Interval < minCheckInterval || c.Definition.Timeout <= 0 || c.Definition.Timeout > c.Definition.Interval)) ||
				(!timed && c.Definition.TTL <= 0) {
				t.Fatalf("accepted an invalid check %+v from %q", c, body)
			}
		}
	})
}

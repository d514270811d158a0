package checks

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/registry"
)

func TestHTTPCheckFollowsStatusCode(t *testing.T) {
	var code atomic.Int32
	code.Store(200)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(code.Load()))
		fmt.Fprint(w, "body-", code.Load())
	}))
	defer srv.Close()

	m, rep := newTestManager(t, testConfig(t))
	m.Sync([]*registry.Check{serviceCheck("web-http", registry.CheckTypeHTTP, registry.CheckDefinition{
		HTTP: srv.URL + "/health", Interval: 200 * time.Millisecond,
	})})

	steps := []struct {
		code   int32
		want   registry.Health
		output string
	}{
		{200, registry.HealthPassing, "HTTP GET " + srv.URL + "/health: 200 OK Output: body-200"},
		{500, registry.HealthCritical, "HTTP GET " + srv.URL + "/health: 500 Internal Server Error Output: body-500"},
		{429, registry.HealthWarning, "HTTP GET " + srv.URL + "/health: 429 Too Many Requests Output: body-429"},
		{200, registry.HealthPassing, "HTTP GET " + srv.URL + "/health: 200 OK Output: body-200"},
	}
	for _, s := range steps {
		code.Store(s.code)
		got := waitStatus(t, rep, "web-http", s.want)
		if got.output != s.output {
			t.Fatalf("code %d: output %q, want %q", s.code, got.output, s.output)
		}
	}
}

func TestHTTPCheckRequest(t *testing.T) {
	type seen struct{ method, header, host, body, ua string }
	var mu sync.Mutex
	var got seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = seen{r.Method, r.Header.Get("X-Probe"), r.Host, string(b), r.Header.Get("User-Agent")}
		mu.Unlock()
	}))
	defer srv.Close()

	m, rep := newTestManager(t, testConfig(t))
	m.Sync([]*registry.Check{serviceCheck("post", registry.CheckTypeHTTP, registry.CheckDefinition{
		HTTP: srv.URL, Method: "post", Body: `{"ping":1}`,
		Header:   map[string][]string{"x-probe": {"yes"}, "Host": {"web.example"}},
		Interval: 200 * time.Millisecond,
	})})
	out := waitStatus(t, rep, "post", registry.HealthPassing).output
	if !strings.HasPrefix(out, "HTTP POST ") {
		t.Fatalf("output %q does not name the method", out)
	}
	mu.Lock()
	defer mu.Unlock()
	want := seen{"POST", "yes", "web.example", `{"ping":1}`, userAgent}
	if got != want {
		t.Fatalf("server saw %+v, want %+v", got, want)
	}
}

func TestHTTPCheckTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the rejected handshakes
	srv.StartTLS()
	defer srv.Close()

	m, rep := newTestManager(t, testConfig(t))
	def := registry.CheckDefinition{HTTP: srv.URL, Interval: 2 * time.Second}
	verify := serviceCheck("verify", registry.CheckTypeHTTP, def)
	verify.Status = registry.HealthPassing // so that the failure is a write
	def.TLSSkipVerify = true
	skip := serviceCheck("skip", registry.CheckTypeHTTP, def)
	m.Sync([]*registry.Check{verify, skip})

	waitStatus(t, rep, "skip", registry.HealthPassing)
	if out := waitStatus(t, rep, "verify", registry.HealthCritical).output; !strings.Contains(out, "certificate") {
		t.Fatalf("unverified TLS output %q does not mention the certificate", out)
	}
}

func TestHTTPCheckTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)

	m, rep := newTestManager(t, testConfig(t))
	c := serviceCheck("slow", registry.CheckTypeHTTP, registry.CheckDefinition{
		HTTP: srv.URL, Interval: time.Second, Timeout: 50 * time.Millisecond,
	})
	c.Status = registry.HealthPassing
	m.Sync([]*registry.Check{c})
	if out := waitStatus(t, rep, "slow", registry.HealthCritical).output; !strings.Contains(out, "timed out after 50ms") {
		t.Fatalf("output %q does not say it timed out", out)
	}
}

func TestHTTPCheckConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()

	m, rep := newTestManager(t, testConfig(t))
	c := serviceCheck("down", registry.CheckTypeHTTP, registry.CheckDefinition{HTTP: url, Interval: 200 * time.Millisecond})
	c.Status = registry.HealthPassing
	m.Sync([]*registry.Check{c})
	if out := waitStatus(t, rep, "down", registry.HealthCritical).output; !strings.Contains(out, "refused") {
		t.Fatalf("output %q", out)
	}
}

func TestHTTPCheckLongBodyIsCut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, strings.Repeat("ü", 10000))
	}))
	defer srv.Close()
	m, rep := newTestManager(t, testConfig(t))
	m.Sync([]*registry.Check{serviceCheck("big", registry.CheckTypeHTTP, registry.CheckDefinition{HTTP: srv.URL, Interval: 200 * time.Millisecond})})
	out := waitStatus(t, rep, "big", registry.HealthPassing).output
	if len(out) > MaxOutputSize || !strings.HasSuffix(out, truncatedNote) {
		t.Fatalf("output of %d bytes, truncated mark %v", len(out), strings.HasSuffix(out, truncatedNote))
	}
}

func TestHTTPCheckInvalidURL(t *testing.T) {
	m, rep := newTestManager(t, testConfig(t))
	c := serviceCheck("bad", registry.CheckTypeHTTP, registry.CheckDefinition{HTTP: "ftp://x", Interval: 200 * time.Millisecond})
	c.Status = registry.HealthPassing
	m.Sync([]*registry.Check{c})
	if out := waitStatus(t, rep, "bad", registry.HealthCritical).output; !strings.Contains(out, "invalid http check url") {
		t.Fatalf("output %q", out)
	}
}

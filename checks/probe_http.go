package checks

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rosterhq/roster/registry"
)

// userAgent is sent unless the check's Header sets one.
const userAgent = "Roster Health Check"

// httpProbe is an HTTP check: 2xx is passing, 429 warning, anything else
// (another status, a connection error, a timeout) critical.
//
// Redirects are followed, at most 10, as Consul does, so checks written for
// Consul behave the same; the final response decides. The transport is the
// runner's own and is reused by every probe, but keep-alives are off: a
// pooled connection the server closed between two probes would turn into a
// false critical for a non-idempotent method, and one probe per interval
// gains little from reuse. The agent's HTTP_PROXY settings are not used: a
// health check must reach the instance directly.
type httpProbe struct {
	client  *http.Client
	method  string
	url     string
	header  http.Header
	host    string
	body    string
	timeout time.Duration
}

func newHTTPProbe(d *registry.CheckDefinition, timeout time.Duration) (*httpProbe, error) {
	u, err := url.Parse(d.HTTP)
	if err != nil {
		return nil, fmt.Errorf("invalid http check url: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid http check url %q: want http:// or https:// and a host", d.HTTP)
	}
	method := strings.ToUpper(d.Method)
	if method == "" {
		method = http.MethodGet
	}
	header := make(http.Header, len(d.Header)+2)
	for k, vs := range d.Header {
		for _, v := range vs {
			header.Add(k, v)
		}
	}
	host := header.Get("Host")
	header.Del("Host")
	if header.Get("User-Agent") == "" {
		header.Set("User-Agent", userAgent)
	}
	if header.Get("Accept") == "" {
		header.Set("Accept", "text/plain, text/*, */*")
	}
	transport := &http.Transport{
		DialContext:       (&net.Dialer{}).DialContext,
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: d.TLSSkipVerify, ServerName: d.TLSServerName},
		DisableKeepAlives: true,
		ForceAttemptHTTP2: true,
	}
	return &httpProbe{
		client:  &http.Client{Transport: transport},
		method:  method,
		url:     d.HTTP,
		header:  header,
		host:    host,
		body:    d.Body,
		timeout: timeout,
	}, nil
}

func (p *httpProbe) probe(ctx context.Context) result {
	var body io.Reader
	if p.body != "" {
		body = strings.NewReader(p.body)
	}
	req, err := http.NewRequestWithContext(ctx, p.method, p.url, body)
	if err != nil {
		return p.critical(ctx, err)
	}
	req.Header = p.header.Clone()
	if p.host != "" {
		req.Host = p.host
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return p.critical(ctx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxOutputSize+1))
	if err != nil && ctx.Err() != nil {
		return p.critical(ctx, err)
	}
	more := len(data) > MaxOutputSize
	out := clip(fmt.Sprintf("HTTP %s %s: %s Output: %s", p.method, p.url, resp.Status, data), more)
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
		return result{registry.HealthPassing, out}
	case resp.StatusCode == http.StatusTooManyRequests:
		return result{registry.HealthWarning, out}
	default:
		return result{registry.HealthCritical, out}
	}
}

func (p *httpProbe) critical(ctx context.Context, err error) result {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err // it repeats the method and URL we print anyway
	}
	return result{registry.HealthCritical, clip(fmt.Sprintf("HTTP %s %s: %s", p.method, p.url, describe(ctx, err, p.timeout)), false)}
}

func (p *httpProbe) close() { p.client.CloseIdleConnections() }

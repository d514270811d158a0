package workload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"time"
)

// response is one HTTP exchange as the client saw it.
type response struct {
	status int
	body   []byte
	err    error
	// sent is true once the whole request was written: from then on a
	// failure may hide a server that acted on it.
	sent bool
}

// newHTTPClient returns a client with its own connection pool and no
// overall timeout (each request carries a context deadline).
func newHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
	}}
}

// do sends one request. ctx bounds it.
func do(ctx context.Context, c *http.Client, method, url string, body []byte) response {
	var sent atomic.Bool
	trace := &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) {
		if i.Err == nil {
			sent.Store(true)
		}
	}}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), method, url, rd)
	if err != nil {
		return response{err: err}
	}
	resp, err := c.Do(req)
	if err != nil {
		return response{err: err, sent: sent.Load()}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		// Headers arrived, so the server acted; the status says how.
		return response{status: resp.StatusCode, err: err, sent: true}
	}
	return response{status: resp.StatusCode, body: b, sent: true}
}

// errText is a short description of the response for reports.
func (r response) errText() string {
	if r.err != nil {
		return r.err.Error()
	}
	return fmt.Sprintf("%d %s", r.status, strings.TrimSpace(string(r.body)))
}

// writeOutcome classifies a write's response (see the package comment).
func (r response) writeOutcome() Outcome {
	switch {
	case r.err != nil && r.status == 0:
		if r.sent {
			return Unknown
		}
		return Fail
	case r.status >= 200 && r.status < 300 && r.err == nil:
		return OK
	case r.status == http.StatusServiceUnavailable && strings.Contains(string(r.body), "no cluster leader"):
		return Fail
	case r.status >= 400 && r.status < 500:
		return Fail
	}
	return Unknown
}

// timedOut reports whether the client gave up waiting.
func (r response) timedOut() bool {
	return r.err != nil && (errors.Is(r.err, context.DeadlineExceeded) || strings.Contains(r.err.Error(), "Client.Timeout"))
}

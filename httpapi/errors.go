package httpapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/rosterhq/roster/registry"
)

// Errors a Backend returns for failures that are not the request's fault.
// The agent wraps consensus errors with these so this package never needs
// to know about Raft.
var (
	// ErrNoLeader: the cluster has no leader; nothing was written. 503.
	ErrNoLeader = errors.New("no cluster leader")
	// ErrUnknownOutcome: the write may or may not have been applied. 503.
	ErrUnknownOutcome = errors.New("write outcome unknown")
	// ErrShuttingDown: the agent is stopping. 503.
	ErrShuttingDown = errors.New("agent is shutting down")
	// ErrNotFound: the backend does not know the named object. 404.
	ErrNotFound = errors.New("not found")
	// ErrBadRequest: the backend refuses the request as asked. 400.
	ErrBadRequest = errors.New("bad request")
)

// httpError is an error with the status it maps to.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &httpError{status: http.StatusNotFound, msg: fmt.Sprintf(format, args...)}
}

func errTooLarge(limit int64) error {
	return &httpError{status: http.StatusRequestEntityTooLarge,
		msg: fmt.Sprintf("request body exceeds the limit of %d bytes", limit)}
}

// statusOf maps an error to its HTTP status: the one place that does.
func statusOf(err error) int {
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he.status
	case errors.Is(err, registry.ErrServiceNotFound), errors.Is(err, registry.ErrCheckNotFound),
		errors.Is(err, registry.ErrNodeNotFound), errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, registry.ErrInvalidCommand), errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, ErrNoLeader), errors.Is(err, ErrUnknownOutcome), errors.Is(err, ErrShuttingDown):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeError answers with err's status and a one-line plain-text message.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	msg := err.Error()
	switch {
	case errors.Is(err, ErrUnknownOutcome):
		msg += " (the write may have been applied; retrying it is safe for registrations)"
	case status == http.StatusInternalServerError:
		s.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintln(w, msg)
}

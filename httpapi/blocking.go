package httpapi

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/hashicorp/go-memdb"
)

// queryOptions are the read parameters every catalog/health/KV read takes.
type queryOptions struct {
	mode     Consistency
	minIndex uint64
	wait     time.Duration
}

// parseQueryOptions reads ?stale, ?consistent, ?index and ?wait.
func (s *Server) parseQueryOptions(r *http.Request) (queryOptions, error) {
	q := r.URL.Query()
	var o queryOptions
	_, stale := q["stale"]
	_, consistent := q["consistent"]
	switch {
	case stale && consistent:
		return o, badRequest("?stale and ?consistent cannot be combined")
	case stale:
		o.mode = ConsistencyStale
	case consistent:
		o.mode = ConsistencyConsistent
	}
	if v := q.Get("index"); v != "" {
		idx, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return o, badRequest("index %q is not a non-negative integer", v)
		}
		o.minIndex = idx
	}
	o.wait = s.cfg.DefaultBlockingWait
	if v := q.Get("wait"); v != "" {
		d, err := parseWait(v)
		if err != nil || d < 0 {
			return o, badRequest("wait %q is not a duration such as \"30s\"", v)
		}
		if d > 0 {
			o.wait = min(d, s.cfg.MaxBlockingWait)
		}
	}
	return o, nil
}

// parseWait accepts Go durations and Consul's bare numbers of seconds.
func parseWait(v string) (time.Duration, error) {
	if n, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(v)
}

// queryFunc runs a read against the store, adding what it read to ws, and
// returns the index of the data read and the response body.
type queryFunc func(ws memdb.WatchSet) (uint64, any, error)

// blockingRead answers a read: it applies the consistency barrier, runs the
// query, and when ?index is given and nothing it read has changed past it,
// parks on the query's watch channels until something does or the wait
// (plus up to 1/16 jitter, so clients do not return in lockstep) ends.
func (s *Server) blockingRead(w http.ResponseWriter, r *http.Request, query queryFunc) {
	s.blockingReadAs(w, r, query, writeJSON)
}

// blockingReadAs is blockingRead with its own encoding of the body.
func (s *Server) blockingReadAs(w http.ResponseWriter, r *http.Request, query queryFunc,
	write func(http.ResponseWriter, *http.Request, any)) {
	opts, err := s.parseQueryOptions(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	idx, body, err := s.runBlocking(r.Context(), opts, query)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.setReadHeaders(w, idx)
	if body == nil {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	write(w, r, body)
}

// runBlocking is blockingRead without the HTTP plumbing. A nil body with no
// error means "not found".
func (s *Server) runBlocking(ctx context.Context, opts queryOptions, query queryFunc) (uint64, any, error) {
	if err := s.backend.Barrier(ctx, opts.mode); err != nil {
		return 0, nil, err
	}
	if opts.minIndex == 0 {
		return query(nil)
	}
	wait := opts.wait + rand.N(opts.wait/16+1)
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	defer context.AfterFunc(s.stopping, cancel)()
	for {
		ws := memdb.NewWatchSet()
		idx, body, err := query(ws)
		if err != nil || idx > opts.minIndex {
			return idx, body, err
		}
		if ws.WatchCtx(ctx) != nil {
			// Timed out (or the client left): answer with what we have.
			return idx, body, nil
		}
	}
}

func (s *Server) setReadHeaders(w http.ResponseWriter, idx uint64) {
	setIndexHeader(w, idx)
	contact, known := s.backend.LastContact()
	w.Header().Set("X-Consul-KnownLeader", strconv.FormatBool(known))
	w.Header().Set("X-Consul-LastContact", strconv.FormatInt(contact.Milliseconds(), 10))
}

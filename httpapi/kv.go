package httpapi

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/hashicorp/go-memdb"

	"github.com/rosterhq/roster/registry"
)

// KV limits.
const (
	maxKVValue  = 512 << 10
	maxKVKeyLen = 2048
)

// apiKVEntry is Consul's KVPair; Value is base64 in JSON.
type apiKVEntry struct {
	Key         string
	Value       []byte
	Flags       uint64
	CreateIndex uint64
	ModifyIndex uint64
	LockIndex   uint64
	Session     string `json:",omitempty"`
}

func toAPIKV(e *registry.KVEntry) apiKVEntry {
	return apiKVEntry{Key: e.Key, Value: e.Value, Flags: e.Flags, CreateIndex: e.CreateIndex,
		ModifyIndex: e.ModifyIndex, LockIndex: e.LockIndex, Session: e.Session}
}

func validateKey(key string, required bool) error {
	if key == "" {
		if required {
			return badRequest("missing key name")
		}
		return nil
	}
	if len(key) > maxKVKeyLen {
		return badRequest("key is longer than %d bytes", maxKVKeyLen)
	}
	if !utf8.ValidString(key) {
		return badRequest("key is not valid UTF-8")
	}
	return nil
}

func uintParam(r *http.Request, name string) (uint64, bool, error) {
	q := r.URL.Query()
	if _, ok := q[name]; !ok {
		return 0, false, nil
	}
	v, err := strconv.ParseUint(q.Get(name), 10, 64)
	if err != nil {
		return 0, false, badRequest("%s=%q is not a non-negative integer", name, q.Get(name))
	}
	return v, true, nil
}

func refuseSessions(r *http.Request) error {
	q := r.URL.Query()
	for _, p := range []string{"acquire", "release"} {
		if _, ok := q[p]; ok {
			return badRequest("?%s: sessions and locks are not supported by roster", p)
		}
	}
	return nil
}

func (s *Server) handleKVGet(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	q := r.URL.Query()
	_, recurse := q["recurse"]
	_, keys := q["keys"]
	_, raw := q["raw"]
	if err := validateKey(key, !recurse && !keys); err != nil {
		s.writeError(w, r, err)
		return
	}
	switch {
	case keys:
		sep := q.Get("separator")
		s.blockingRead(w, r, func(ws memdb.WatchSet) (uint64, any, error) {
			idx, list := s.store.KVKeys(ws, key, sep)
			if len(list) == 0 {
				return idx, nil, nil
			}
			return idx, list, nil
		})
	case recurse:
		s.blockingRead(w, r, func(ws memdb.WatchSet) (uint64, any, error) {
			idx, entries := s.store.KVList(ws, key)
			if len(entries) == 0 {
				return idx, nil, nil
			}
			out := make([]apiKVEntry, 0, len(entries))
			for _, e := range entries {
				out = append(out, toAPIKV(e))
			}
			return idx, out, nil
		})
	case raw:
		s.kvRaw(w, r, key)
	default:
		s.blockingRead(w, r, func(ws memdb.WatchSet) (uint64, any, error) {
			idx, e := s.store.KVGet(ws, key)
			if e == nil {
				return idx, nil, nil
			}
			return idx, []apiKVEntry{toAPIKV(e)}, nil
		})
	}
}

// kvRaw answers ?raw: the value's bytes, not JSON.
func (s *Server) kvRaw(w http.ResponseWriter, r *http.Request, key string) {
	s.blockingReadAs(w, r, func(ws memdb.WatchSet) (uint64, any, error) {
		idx, e := s.store.KVGet(ws, key)
		if e == nil {
			return idx, nil, nil
		}
		return idx, e, nil
	}, func(w http.ResponseWriter, _ *http.Request, body any) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Write(body.(*registry.KVEntry).Value)
	})
}

func (s *Server) handleKVPut(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	if err := validateKey(key, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := refuseSessions(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	flags, _, err := uintParam(r, "flags")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cas, hasCAS, err := uintParam(r, "cas")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	value, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxKVValue))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.writeError(w, r, &httpError{status: http.StatusRequestEntityTooLarge,
				msg: "value exceeds the limit of " + strconv.Itoa(maxKVValue) + " bytes"})
			return
		}
		s.writeError(w, r, badRequest("read value: %v", err))
		return
	}
	if len(value) == 0 {
		value = nil
	}
	cmd := &registry.KV{Op: registry.KVSet, Entry: registry.KVEntry{Key: key, Value: value, Flags: flags}}
	if hasCAS {
		cmd.Op, cmd.Index = registry.KVCAS, cas
	}
	s.applyKV(w, r, cmd)
}

// applyKV commits a KV command and answers Consul's true/false.
func (s *Server) applyKV(w http.ResponseWriter, r *http.Request, cmd *registry.KV) {
	res, err := s.apply(r, cmd)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, r, res.OK)
}

func (s *Server) handleKVDelete(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	recurse, err := boolParam(r, "recurse")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := validateKey(key, !recurse); err != nil {
		s.writeError(w, r, err)
		return
	}
	cas, hasCAS, err := uintParam(r, "cas")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	cmd := &registry.KV{Op: registry.KVDelete, Entry: registry.KVEntry{Key: key}}
	switch {
	case recurse && hasCAS:
		s.writeError(w, r, badRequest("?cas cannot be combined with ?recurse"))
		return
	case recurse:
		cmd.Op = registry.KVDeleteTree
	case hasCAS:
		cmd.Op, cmd.Index = registry.KVDeleteCAS, cas
	}
	s.applyKV(w, r, cmd)
}

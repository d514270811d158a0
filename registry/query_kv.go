package registry

import (
	"strings"

	"github.com/hashicorp/go-memdb"
)

// KVGet returns the entry at key, or nil. The index is the entry's
// ModifyIndex, or the index at which it was deleted, so a blocking read of
// one key wakes only when that key changes.
func (s *Store) KVGet(ws memdb.WatchSet, key string) (uint64, *KVEntry) {
	tx := s.Read()
	tx.Watch(ws)
	ch, raw, err := tx.FirstWatch(tableKV, "id", key)
	if ws != nil && err == nil {
		ws.Add(ch)
	}
	if raw != nil {
		e := raw.(*KVEntry)
		return e.ModifyIndex, e
	}
	tch, traw, err := tx.FirstWatch(tableTombstones, "id", key)
	if ws != nil && err == nil {
		ws.Add(tch)
	}
	if traw != nil {
		return traw.(*tombstone).Index, nil
	}
	return 1, nil
}

// KVList returns the entries whose keys start with prefix, in key order.
// The index is the latest change under the prefix, deletions included.
func (s *Store) KVList(ws memdb.WatchSet, prefix string) (uint64, []*KVEntry) {
	tx := s.Read()
	idx, out := kvList(tx, ws, prefix)
	return idx, out
}

func kvList(tx ReadTxn, ws memdb.WatchSet, prefix string) (uint64, []*KVEntry) {
	tx.Watch(ws)
	var idx uint64
	var out []*KVEntry
	if it, err := tx.Get(tableKV, "id_prefix", prefix); err == nil {
		if ws != nil {
			ws.Add(it.WatchCh())
		}
		for raw := it.Next(); raw != nil; raw = it.Next() {
			e := raw.(*KVEntry)
			idx = max(idx, e.ModifyIndex)
			out = append(out, e)
		}
	}
	if it, err := tx.Get(tableTombstones, "id_prefix", prefix); err == nil {
		if ws != nil {
			ws.Add(it.WatchCh())
		}
		for raw := it.Next(); raw != nil; raw = it.Next() {
			idx = max(idx, raw.(*tombstone).Index)
		}
	}
	return atLeastOne(idx), out
}

// KVKeys returns the keys under prefix. With a separator, keys are cut
// just after the first separator following the prefix and deduplicated, so
// "folders" appear once, as Consul's ?keys&separator= does.
func (s *Store) KVKeys(ws memdb.WatchSet, prefix, sep string) (uint64, []string) {
	tx := s.Read()
	idx, entries := kvList(tx, ws, prefix)
	var out []string
	for _, e := range entries {
		k := e.Key
		if sep != "" {
			if i := strings.Index(k[len(prefix):], sep); i >= 0 {
				k = k[:len(prefix)+i+len(sep)]
			}
		}
		if n := len(out); n > 0 && out[n-1] == k {
			continue
		}
		out = append(out, k)
	}
	return idx, out
}

// HasTombstonesUpTo reports whether any deleted-key tombstone was written
// at or below index, i.e. whether ReapTombstones{index} would remove one.
func (s *Store) HasTombstonesUpTo(index uint64) bool {
	it, err := s.Read().Get(tableTombstones, "id")
	if err != nil {
		return false
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if raw.(*tombstone).Index <= index {
			return true
		}
	}
	return false
}

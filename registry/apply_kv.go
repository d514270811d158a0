package registry

import "fmt"

func (w *writeTxn) getKV(key string) *KVEntry {
	raw, err := w.First(tableKV, "id", key)
	w.fail(err)
	if raw == nil {
		return nil
	}
	return raw.(*KVEntry)
}

func (w *writeTxn) kv(c *KV) (bool, error) {
	existing := w.getKV(c.Entry.Key)
	switch c.Op {
	case KVSet:
	case KVCAS:
		if (c.Index == 0 && existing != nil) ||
			(c.Index != 0 && (existing == nil || existing.ModifyIndex != c.Index)) {
			return false, nil
		}
	case KVDelete:
		if existing != nil {
			w.deleteKV(existing)
		}
		return true, nil
	case KVDeleteCAS:
		if existing == nil {
			return true, nil
		}
		if existing.ModifyIndex != c.Index {
			return false, nil
		}
		w.deleteKV(existing)
		return true, nil
	case KVDeleteTree:
		w.deleteTree(c.Entry.Key)
		return true, nil
	default:
		return false, fmt.Errorf("%w: KV op %d", ErrInvalidCommand, c.Op)
	}
	if c.Entry.Key == "" {
		return false, fmt.Errorf("%w: empty key", ErrInvalidCommand)
	}
	e := KVEntry{Key: c.Entry.Key, Value: c.Entry.Value, Flags: c.Entry.Flags,
		CreateIndex: w.index, ModifyIndex: w.index}
	if existing != nil {
		e.CreateIndex, e.LockIndex, e.Session = existing.CreateIndex, existing.LockIndex, existing.Session
	}
	w.fail(w.Insert(tableKV, &e))
	if _, err := w.DeleteAll(tableTombstones, "id", e.Key); err != nil {
		w.fail(err)
	}
	w.setIndex(tableKV)
	return true, nil
}

func (w *writeTxn) deleteKV(e *KVEntry) {
	w.fail(w.Delete(tableKV, e))
	w.fail(w.Insert(tableTombstones, &tombstone{Key: e.Key, Index: w.index}))
	w.setIndex(tableKV)
	w.setIndex(tableTombstones)
}

func (w *writeTxn) deleteTree(prefix string) {
	it, err := w.Get(tableKV, "id_prefix", prefix)
	w.fail(err)
	if err != nil {
		return
	}
	var doomed []*KVEntry
	for raw := it.Next(); raw != nil; raw = it.Next() {
		doomed = append(doomed, raw.(*KVEntry))
	}
	for _, e := range doomed {
		w.deleteKV(e)
	}
}

func (w *writeTxn) reapTombstones(c *ReapTombstones) error {
	it, err := w.Get(tableTombstones, "id")
	w.fail(err)
	if err != nil {
		return nil
	}
	var doomed []*tombstone
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if t := raw.(*tombstone); t.Index <= c.Index {
			doomed = append(doomed, t)
		}
	}
	for _, t := range doomed {
		w.fail(w.Delete(tableTombstones, t))
	}
	if len(doomed) > 0 {
		w.setIndex(tableTombstones)
	}
	return nil
}

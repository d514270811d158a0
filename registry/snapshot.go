package registry

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/hashicorp/go-memdb"
)

const snapshotVersion = 1

// snapshotHeader opens every snapshot stream.
type snapshotHeader struct {
	Version int    `json:"version"`
	Index   uint64 `json:"index"`
}

// snapshotRecord is one row of one table.
type snapshotRecord struct {
	Table string          `json:"t"`
	Row   json.RawMessage `json:"r"`
}

// Snapshot is a point-in-time copy of the state. Taking it is O(1): it
// holds an immutable read transaction, so WriteTo may run concurrently with
// Apply and still sees exactly the state at the moment it was taken.
type Snapshot struct {
	tx    *memdb.Txn
	index uint64
}

// Snapshot takes a point-in-time copy. Call it from the goroutine that
// calls Apply (Raft's FSM goroutine does) so index and state agree.
func (s *Store) Snapshot() *Snapshot {
	return &Snapshot{tx: s.db.Load().Txn(false), index: s.AppliedIndex()}
}

// snapshotTables lists the tables a snapshot carries, in restore order.
var snapshotTables = []string{tableNodes, tableServices, tableChecks, tableKV, tableTombstones, tableIndex}

// WriteTo streams the snapshot as JSON lines: a header, then every row.
func (sn *Snapshot) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: bufio.NewWriterSize(w, 64<<10)}
	enc := json.NewEncoder(cw)
	if err := enc.Encode(snapshotHeader{Version: snapshotVersion, Index: sn.index}); err != nil {
		return cw.n, fmt.Errorf("write snapshot header: %w", err)
	}
	for _, table := range snapshotTables {
		it, err := sn.tx.Get(table, "id")
		if err != nil {
			return cw.n, fmt.Errorf("read %s: %w", table, err)
		}
		for raw := it.Next(); raw != nil; raw = it.Next() {
			row, err := json.Marshal(raw)
			if err != nil {
				return cw.n, fmt.Errorf("encode %s row: %w", table, err)
			}
			if err := enc.Encode(snapshotRecord{Table: table, Row: row}); err != nil {
				return cw.n, fmt.Errorf("write snapshot: %w", err)
			}
		}
	}
	if err := cw.w.(*bufio.Writer).Flush(); err != nil {
		return cw.n, fmt.Errorf("write snapshot: %w", err)
	}
	return cw.n, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Restore replaces the whole state with a snapshot written by WriteTo.
// On error the current state is left untouched. Blocking queries watching
// the old state are woken.
func (s *Store) Restore(r io.Reader) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	var hdr snapshotHeader
	if err := dec.Decode(&hdr); err != nil {
		return fmt.Errorf("read snapshot header: %w", err)
	}
	if hdr.Version < 1 || hdr.Version > snapshotVersion {
		return fmt.Errorf("snapshot version %d not supported (this binary reads up to %d)", hdr.Version, snapshotVersion)
	}
	db, err := memdb.NewMemDB(schema())
	if err != nil {
		return fmt.Errorf("new database: %w", err)
	}
	tx := db.Txn(true)
	for {
		var rec snapshotRecord
		if err := dec.Decode(&rec); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			tx.Abort()
			return fmt.Errorf("read snapshot: %w", err)
		}
		row, err := newRow(rec.Table)
		if err != nil {
			tx.Abort()
			return err
		}
		if err := json.Unmarshal(rec.Row, row); err != nil {
			tx.Abort()
			return fmt.Errorf("decode %s row: %w", rec.Table, err)
		}
		if err := tx.Insert(rec.Table, row); err != nil {
			tx.Abort()
			return fmt.Errorf("restore %s row: %w", rec.Table, err)
		}
	}
	tx.Commit()

	s.db.Store(db)
	s.abandonMu.Lock()
	close(s.abandon)
	s.abandon = make(chan struct{})
	s.abandonMu.Unlock()
	s.view.reset(db)
	s.appliedMu.Lock()
	s.applied = hdr.Index
	close(s.appliedCh)
	s.appliedCh = make(chan struct{})
	s.appliedMu.Unlock()
	return nil
}

func newRow(table string) (any, error) {
	switch table {
	case tableNodes:
		return &Node{}, nil
	case tableServices:
		return &Instance{}, nil
	case tableChecks:
		return &Check{}, nil
	case tableKV:
		return &KVEntry{}, nil
	case tableTombstones:
		return &tombstone{}, nil
	case tableIndex:
		return &indexEntry{}, nil
	}
	return nil, fmt.Errorf("snapshot has rows of unknown table %q", table)
}

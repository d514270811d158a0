package registry

import "github.com/hashicorp/go-memdb"

// Table names.
const (
	tableNodes      = "nodes"
	tableServices   = "services"
	tableChecks     = "checks"
	tableKV         = "kvs"
	tableTombstones = "tombstones"
	tableIndex      = "index"
)

// Index table keys that are not table names.
const (
	// serviceIndexPrefix + lower(name) is bumped by any change to that
	// service's instances or checks, including its nodes' liveness.
	serviceIndexPrefix = "service."
)

// Node names, service names and service IDs are case-insensitive, as they
// are in Consul and in DNS; KV keys are exact.
func schema() *memdb.DBSchema {
	return &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
		tableNodes: {
			Name: tableNodes,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true,
					Indexer: &memdb.StringFieldIndex{Field: "Name", Lowercase: true}},
			},
		},
		tableServices: {
			Name: tableServices,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
					&memdb.StringFieldIndex{Field: "Node", Lowercase: true},
					&memdb.StringFieldIndex{Field: "ID", Lowercase: true},
				}}},
				"node": {Name: "node",
					Indexer: &memdb.StringFieldIndex{Field: "Node", Lowercase: true}},
				"service": {Name: "service",
					Indexer: &memdb.StringFieldIndex{Field: "Name", Lowercase: true}},
			},
		},
		tableChecks: {
			Name: tableChecks,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
					&memdb.StringFieldIndex{Field: "Node", Lowercase: true},
					&memdb.StringFieldIndex{Field: "CheckID"},
				}}},
				"node": {Name: "node",
					Indexer: &memdb.StringFieldIndex{Field: "Node", Lowercase: true}},
				"status": {Name: "status",
					Indexer: &memdb.StringFieldIndex{Field: "Status"}},
				"service": {Name: "service", AllowMissing: true,
					Indexer: &memdb.StringFieldIndex{Field: "ServiceName", Lowercase: true}},
				"node_service": {Name: "node_service", AllowMissing: true,
					Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
						&memdb.StringFieldIndex{Field: "Node", Lowercase: true},
						&memdb.StringFieldIndex{Field: "ServiceID", Lowercase: true},
					}}},
			},
		},
		tableKV: {
			Name: tableKV,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Key"}},
			},
		},
		tableTombstones: {
			Name: tableTombstones,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Key"}},
			},
		},
		tableIndex: {
			Name: tableIndex,
			Indexes: map[string]*memdb.IndexSchema{
				"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Key"}},
			},
		},
	}}
}

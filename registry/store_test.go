package registry

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/go-memdb"
)

// applier applies commands at increasing indexes, as Raft would.
type applier struct {
	t     *testing.T
	s     *Store
	index uint64
}

func newTestStore(t *testing.T) *applier {
	t.Helper()
	return &applier{t: t, s: NewStore(nil)}
}

// apply encodes, decodes and applies cmd, as the log does.
func (a *applier) apply(cmd Command) Result {
	a.t.Helper()
	b, err := Encode(cmd)
	if err != nil {
		a.t.Fatalf("encode %T: %v", cmd, err)
	}
	a.index++
	return a.s.Apply(a.index, b)
}

func (a *applier) mustApply(cmd Command) Result {
	a.t.Helper()
	res := a.apply(cmd)
	if res.Err != nil {
		a.t.Fatalf("apply %T: %v", cmd, res.Err)
	}
	return res
}

func node(name, addr string) Node { return Node{Name: name, Address: addr, ID: "id-" + name} }

func web(nodeName, id string, tags ...string) *RegisterService {
	return &RegisterService{
		Node:     node(nodeName, "10.0.0.1"),
		Instance: Instance{ID: id, Name: "web", Port: 8080, Tags: tags, Weights: DefaultWeights},
	}
}

func TestRegisterServiceCreatesNodeAndIndexes(t *testing.T) {
	a := newTestStore(t)
	res := a.mustApply(web("n1", "web-1", "v1"))
	if res.Index != 1 {
		t.Fatalf("index = %d, want 1", res.Index)
	}
	idx, nodes := a.s.Nodes(nil)
	if idx != 1 || len(nodes) != 1 || nodes[0].Name != "n1" || nodes[0].CreateIndex != 1 {
		t.Fatalf("nodes = %d %+v", idx, nodes)
	}
	idx, sn := a.s.ServiceNodes(nil, "WEB", "")
	if idx != 1 || len(sn) != 1 || sn[0].Instance.ID != "web-1" || sn[0].Node.Address != "10.0.0.1" {
		t.Fatalf("service nodes = %d %+v", idx, sn)
	}
	// An identical registration is a no-op: indexes stay put.
	a.mustApply(web("n1", "web-1", "v1"))
	if _, sn := a.s.ServiceNodes(nil, "web", ""); sn[0].Instance.ModifyIndex != 1 {
		t.Fatalf("identical re-register changed ModifyIndex to %d", sn[0].Instance.ModifyIndex)
	}
	if idx, _ := a.s.ServiceNodes(nil, "web", ""); idx != 1 {
		t.Fatalf("identical re-register moved the service index to %d", idx)
	}
	// A changed one bumps ModifyIndex but keeps CreateIndex.
	a.mustApply(web("n1", "web-1", "v2"))
	_, sn = a.s.ServiceNodes(nil, "web", "v2")
	if len(sn) != 1 || sn[0].Instance.CreateIndex != 1 || sn[0].Instance.ModifyIndex != 3 {
		t.Fatalf("after update: %+v", sn[0].Instance)
	}
	if _, sn := a.s.ServiceNodes(nil, "web", "v1"); len(sn) != 0 {
		t.Fatalf("tag filter returned %d instances for a removed tag", len(sn))
	}
}

func TestRejectedCommandsChangeNothing(t *testing.T) {
	a := newTestStore(t)
	a.mustApply(web("n1", "web-1"))
	before := dump(t, a.s)
	cases := []struct {
		cmd  Command
		want error
	}{
		{&DeregisterService{Node: "n1", ServiceID: "nope"}, ErrServiceNotFound},
		{&DeregisterNode{Node: "nope"}, ErrNodeNotFound},
		{&DeregisterCheck{Node: "n1", CheckID: "nope"}, ErrCheckNotFound},
		{&UpdateCheck{Node: "n1", CheckID: "nope", Status: HealthPassing}, ErrCheckNotFound},
		{&RegisterCheck{Check: Check{Node: "n9", CheckID: "c", Status: HealthPassing}}, ErrNodeNotFound},
		{&RegisterCheck{Check: Check{Node: "n1", CheckID: "c", ServiceID: "nope", Status: HealthPassing}}, ErrServiceNotFound},
		{&RegisterCheck{Check: Check{Node: "n1", CheckID: "c", Status: "bogus"}}, ErrInvalidCommand},
		{&RegisterService{Node: node("n1", "x"), Instance: Instance{ID: "", Name: "web"}}, ErrInvalidCommand},
		{&KV{Op: KVSet}, ErrInvalidCommand},
	}
	for _, tc := range cases {
		res := a.apply(tc.cmd)
		if !errors.Is(res.Err, tc.want) {
			t.Errorf("%T: err = %v, want %v", tc.cmd, res.Err, tc.want)
		}
		if res.Index != a.index {
			t.Errorf("%T: result index %d, want %d", tc.cmd, res.Index, a.index)
		}
	}
	if after := dump(t, a.s); !bytes.Equal(before, after) {
		t.Fatalf("rejected commands changed the state:\n%s\n---\n%s", before, after)
	}
	if a.s.AppliedIndex() != a.index {
		t.Fatalf("applied index %d, want %d", a.s.AppliedIndex(), a.index)
	}
}

func TestChecksDecideHealthAndView(t *testing.T) {
	a := newTestStore(t)
	reg := web("n1", "web-1")
	reg.Checks = []Check{{CheckID: "service:web-1", Name: "http", Status: HealthCritical, Type: CheckTypeHTTP,
		Definition: CheckDefinition{HTTP: "http://x/", Interval: 1e9}}}
	a.mustApply(reg)
	a.mustApply(web("n2", "web-2"))
	a.mustApply(&RegisterNode{Node: node("n2", "10.0.0.1"), Health: HealthPassing})

	if got := ids(a.s.Service("web")); !reflect.DeepEqual(got, []string{"web-2"}) {
		t.Fatalf("view with web-1 critical = %v", got)
	}
	if _, e := a.s.ServiceHealth(nil, "web", "", true); len(e) != 1 || e[0].Instance.ID != "web-2" || len(e[0].Checks) != 1 {
		t.Fatalf("passing-only health = %+v", e)
	}
	a.mustApply(&UpdateCheck{Node: "n1", CheckID: "service:web-1", Status: HealthWarning})
	sv := a.s.Service("web")
	if got := ids(sv); !reflect.DeepEqual(got, []string{"web-1", "web-2"}) {
		t.Fatalf("view with web-1 warning = %v", got)
	}
	if sv.Instances[0].Health != HealthWarning || sv.Instances[0].Weight != 1 {
		t.Fatalf("warning instance = %+v", sv.Instances[0])
	}
	// A retried registration keeps the check's current status.
	a.mustApply(reg)
	if c := a.s.Check("n1", "service:web-1"); c.Status != HealthWarning {
		t.Fatalf("re-register reset status to %s", c.Status)
	}
	// Node liveness: the leader marks n2 failed; its instance leaves.
	a.mustApply(&UpdateCheck{Node: "n2", CheckID: NodeHealthCheckID, Status: HealthCritical})
	if got := ids(a.s.Service("web")); !reflect.DeepEqual(got, []string{"web-1"}) {
		t.Fatalf("view with n2 failed = %v", got)
	}
	// The local gossip view overrides at once, both ways.
	a.s.SetNodeDown("n1", true)
	if got := ids(a.s.Service("web")); len(got) != 0 {
		t.Fatalf("view with n1 down = %v", got)
	}
	a.s.SetNodeDown("n1", false)
	if got := ids(a.s.Service("web")); !reflect.DeepEqual(got, []string{"web-1"}) {
		t.Fatalf("view with n1 back = %v", got)
	}
	// An unrelated change keeps the same snapshot pointer (WRR state lives on).
	sv = a.s.Service("web")
	a.mustApply(&KV{Op: KVSet, Entry: KVEntry{Key: "k", Value: []byte("v")}})
	a.mustApply(&UpdateCheck{Node: "n1", CheckID: "service:web-1", Status: HealthWarning, Output: "new output"})
	if a.s.Service("web") != sv {
		t.Fatal("an output-only change republished the service view")
	}
	a.mustApply(&DeregisterNode{Node: "n1"})
	a.mustApply(&DeregisterNode{Node: "n2"})
	if a.s.Service("web") != nil {
		t.Fatal("service view survives its last instance")
	}
}

func TestKVOperations(t *testing.T) {
	a := newTestStore(t)
	set := func(op KVOp, key, val string, idx uint64) bool {
		t.Helper()
		return a.mustApply(&KV{Op: op, Entry: KVEntry{Key: key, Value: []byte(val)}, Index: idx}).OK
	}
	if !set(KVCAS, "a", "1", 0) {
		t.Fatal("create-only CAS on a missing key failed")
	}
	if set(KVCAS, "a", "2", 0) {
		t.Fatal("create-only CAS on an existing key succeeded")
	}
	if set(KVCAS, "a", "2", 99) {
		t.Fatal("CAS with a wrong index succeeded")
	}
	if !set(KVCAS, "a", "2", 1) {
		t.Fatal("CAS with the right index failed")
	}
	idx, e := a.s.KVGet(nil, "a")
	if string(e.Value) != "2" || e.CreateIndex != 1 || e.ModifyIndex != 4 || idx != 4 {
		t.Fatalf("a = %d %+v", idx, e)
	}
	set(KVSet, "dir/x", "x", 0)
	set(KVSet, "dir/sub/y", "y", 0)
	set(KVSet, "dirt", "z", 0)
	if _, keys := a.s.KVKeys(nil, "dir/", "/"); !reflect.DeepEqual(keys, []string{"dir/sub/", "dir/x"}) {
		t.Fatalf("keys = %v", keys)
	}
	if set(KVDeleteCAS, "a", "", 1) {
		t.Fatal("delete-CAS with a wrong index succeeded")
	}
	if !set(KVDeleteCAS, "a", "", 4) {
		t.Fatal("delete-CAS with the right index failed")
	}
	if idx, e := a.s.KVGet(nil, "a"); e != nil || idx != a.index {
		t.Fatalf("deleted key: index %d entry %+v, want tombstone index %d", idx, e, a.index)
	}
	set(KVDeleteTree, "dir/", "", 0)
	idx, list := a.s.KVList(nil, "dir")
	if len(list) != 1 || list[0].Key != "dirt" || idx != a.index {
		t.Fatalf("after delete-tree: %d %v", idx, list)
	}
	a.mustApply(&ReapTombstones{Index: a.index})
	if idx, _ := a.s.KVGet(nil, "a"); idx != 1 {
		t.Fatalf("reaped tombstone still gives index %d", idx)
	}
}

func TestBlockingWatchFiresOnlyForWhatWasRead(t *testing.T) {
	a := newTestStore(t)
	a.mustApply(&KV{Op: KVSet, Entry: KVEntry{Key: "a", Value: []byte("1")}})
	a.mustApply(&KV{Op: KVSet, Entry: KVEntry{Key: "b", Value: []byte("1")}})
	a.mustApply(web("n1", "web-1"))
	wsA, wsWeb := memdb.NewWatchSet(), memdb.NewWatchSet()
	a.s.KVGet(wsA, "a")
	a.s.ServiceHealth(wsWeb, "web", "", false)
	a.mustApply(&KV{Op: KVSet, Entry: KVEntry{Key: "b", Value: []byte("2")}})
	a.mustApply(&RegisterService{Node: node("n1", "10.0.0.1"), Instance: Instance{ID: "db", Name: "db", Weights: DefaultWeights}})
	if fired(wsA) || fired(wsWeb) {
		t.Fatalf("unrelated writes fired watches: a=%v web=%v", fired(wsA), fired(wsWeb))
	}
	a.mustApply(&KV{Op: KVSet, Entry: KVEntry{Key: "a", Value: []byte("2")}})
	a.mustApply(web("n1", "web-2"))
	if !fired(wsA) || !fired(wsWeb) {
		t.Fatalf("watched writes did not fire: a=%v web=%v", fired(wsA), fired(wsWeb))
	}
}

func fired(ws memdb.WatchSet) bool {
	return !ws.Watch(time.After(20 * time.Millisecond)) // false: a channel fired
}

func TestSnapshotRestoreRoundTrip(t *testing.T) {
	a := newTestStore(t)
	reg := web("n1", "web-1", "v1")
	reg.Instance.Meta = map[string]string{"version": "1"}
	reg.Checks = []Check{{CheckID: "c1", Name: "ttl", Status: HealthPassing, Type: CheckTypeTTL,
		Definition: CheckDefinition{TTL: 3e9}}}
	a.mustApply(reg)
	a.mustApply(&RegisterNode{Node: node("n2", "10.0.0.2"), Health: HealthPassing})
	a.mustApply(&KV{Op: KVSet, Entry: KVEntry{Key: "cfg/a", Value: []byte{0, 1, 2}, Flags: 7}})
	a.mustApply(&KV{Op: KVSet, Entry: KVEntry{Key: "cfg/gone", Value: []byte("x")}})
	a.mustApply(&KV{Op: KVDelete, Entry: KVEntry{Key: "cfg/gone"}})

	snap := a.s.Snapshot()
	// Writes after the snapshot must not leak into it.
	a.mustApply(&KV{Op: KVSet, Entry: KVEntry{Key: "late", Value: []byte("x")}})
	var buf bytes.Buffer
	if _, err := snap.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}

	restored := NewStore(nil)
	restored.SetNodeDown("n9", true)
	if err := restored.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if restored.AppliedIndex() != 5 {
		t.Fatalf("restored applied index %d, want 5", restored.AppliedIndex())
	}
	if _, e := restored.KVGet(nil, "late"); e != nil {
		t.Fatal("a write after the snapshot leaked into it")
	}
	// Undo the late write on the original so both should be equal.
	a.mustApply(&KV{Op: KVDelete, Entry: KVEntry{Key: "late"}})
	a.mustApply(&ReapTombstones{Index: a.index})
	a2 := &applier{t: t, s: restored}
	a2.index = 5
	a2.mustApply(&ReapTombstones{Index: 5}) // reap cfg/gone in both
	a.mustApply(&ReapTombstones{Index: 5})
	want, got := dumpTables(t, a.s, tableNodes, tableServices, tableChecks, tableKV), dumpTables(t, restored, tableNodes, tableServices, tableChecks, tableKV)
	if !bytes.Equal(want, got) {
		t.Fatalf("restored state differs:\n%s\n---\n%s", want, got)
	}
	if got := ids(restored.Service("web")); !reflect.DeepEqual(got, []string{"web-1"}) {
		t.Fatalf("restored view = %v", got)
	}
	if nv := restored.NodeView("N2"); nv == nil || nv.Address != "10.0.0.2" {
		t.Fatalf("restored node view = %+v", nv)
	}

	// Restoring replaces, never merges: a store with other data loses it.
	other := newTestStore(t)
	other.mustApply(web("zz", "only-here"))
	if err := other.s.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if other.s.Node("zz") != nil || other.s.Service("web") == nil || len(ids(other.s.Service("web"))) != 1 {
		t.Fatal("restore merged instead of replacing")
	}
}

func TestRestoreRejectsGarbageAndKeepsState(t *testing.T) {
	a := newTestStore(t)
	a.mustApply(web("n1", "web-1"))
	for _, in := range []string{"", "{", `{"version":99}`, "{\"version\":1}\n{\"t\":\"bogus\",\"r\":{}}"} {
		if err := a.s.Restore(bytes.NewReader([]byte(in))); err == nil {
			t.Errorf("restore of %q succeeded", in)
		}
	}
	if a.s.Service("web") == nil || a.s.Node("n1") == nil {
		t.Fatal("failed restore changed the state")
	}
}

func TestApplyPanicsOnCorruptEntry(t *testing.T) {
	for _, b := range [][]byte{nil, {byte(TypeKV)}, {200, 1, '{', '}'}, {byte(TypeKV), 9, '{', '}'}, {byte(TypeKV), 1, '['}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Apply(%v) did not panic", b)
				}
			}()
			NewStore(nil).Apply(1, b)
		}()
	}
}

func TestResultRoundTrip(t *testing.T) {
	for _, r := range []Result{
		{Index: 7, OK: true},
		{Index: 1 << 40, Err: ErrServiceNotFound},
		{Index: 3, Err: errors.Join(ErrCheckNotFound)},
		{Index: 9, Err: errors.New("something else")},
	} {
		b, _ := r.MarshalBinary()
		var got Result
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if got.Index != r.Index || got.OK != r.OK || (r.Err == nil) != (got.Err == nil) ||
			(r.Err != nil && got.Err.Error() != r.Err.Error()) {
			t.Errorf("round trip %+v -> %+v", r, got)
		}
		for _, e := range errorCodes[1:] {
			if errors.Is(r.Err, e) != errors.Is(got.Err, e) {
				t.Errorf("round trip of %v lost errors.Is(%v)", r.Err, e)
			}
		}
	}
}

func ids(sv *ServiceView) []string {
	if sv == nil {
		return nil
	}
	var out []string
	for _, i := range sv.Instances {
		out = append(out, i.ID)
	}
	return out
}

func dump(t *testing.T, s *Store) []byte {
	t.Helper()
	return dumpTables(t, s, snapshotTables...)
}

func dumpTables(t *testing.T, s *Store, tables ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := s.Snapshot().WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, line := range bytes.Split(buf.Bytes(), []byte("\n")) {
		for _, tb := range tables {
			if bytes.HasPrefix(line, []byte(`{"t":"`+tb+`"`)) {
				out.Write(line)
				out.WriteByte('\n')
			}
		}
	}
	return out.Bytes()
}

func TestRegisterServiceUpdatesAMovedNodeAddress(t *testing.T) {
	a := newTestStore(t)
	a.mustApply(web("n1", "web-1"))
	moved := web("n1", "web-2")
	moved.Node.Address = "10.9.9.9"
	a.mustApply(moved)
	if n := a.s.Node("n1"); n.Address != "10.9.9.9" || n.ID != "id-n1" {
		t.Fatalf("node after move = %+v", n)
	}
	for _, v := range a.s.Service("web").Instances {
		if v.NodeAddress != "10.9.9.9" {
			t.Fatalf("DNS view kept the old node address: %+v", v)
		}
	}
}

// TestApplyBatchEqualsOneByOne applies the same log one entry at a time and
// in batches: results, state and DNS view must be identical.
func TestApplyBatchEqualsOneByOne(t *testing.T) {
	var log []Entry
	add := func(cmd Command) {
		b, err := Encode(cmd)
		if err != nil {
			t.Fatal(err)
		}
		log = append(log, Entry{Index: uint64(len(log) + 1), Data: b})
	}
	for i := 0; i < 40; i++ {
		n := fmt.Sprintf("n%d", i%3)
		add(&RegisterService{Node: node(n, "10.0.0.1"), Instance: Instance{ID: fmt.Sprint("w", i%7), Name: "web", Weights: DefaultWeights},
			Checks: []Check{{CheckID: fmt.Sprint("c", i%7), Status: HealthPassing, Type: CheckTypeTTL}}})
		add(&UpdateCheck{Node: n, CheckID: fmt.Sprint("c", (i+3)%7), Status: []Health{HealthPassing, HealthCritical}[i%2]})
		add(&KV{Op: KVCAS, Entry: KVEntry{Key: "k", Value: []byte{byte(i)}}, Index: uint64(i % 5)})
		if i%9 == 0 {
			add(&DeregisterService{Node: n, ServiceID: "w1"})
		}
	}
	one, batched := NewStore(nil), NewStore(nil)
	var want, got []Result
	for _, e := range log {
		want = append(want, one.Apply(e.Index, e.Data))
	}
	for i := 0; i < len(log); i += 13 {
		got = append(got, batched.ApplyBatch(log[i:min(i+13, len(log))])...)
	}
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d", len(got), len(want))
	}
	for i := range want {
		if want[i].Index != got[i].Index || want[i].OK != got[i].OK || fmt.Sprint(got[i].Err) != fmt.Sprint(want[i].Err) {
			t.Fatalf("entry %d: batched %+v, one by one %+v", i, got[i], want[i])
		}
	}
	if !bytes.Equal(dump(t, one), dump(t, batched)) || !reflect.DeepEqual(one.Service("web"), batched.Service("web")) {
		t.Fatal("batched state or view differs")
	}
	if batched.AppliedIndex() != uint64(len(log)) {
		t.Fatalf("applied index %d", batched.AppliedIndex())
	}
}

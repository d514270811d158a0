package checker

import (
	"fmt"

	"github.com/anishathalye/porcupine"
)

// kvInput is one operation on one key.
type kvInput struct {
	kind         string // "get", "put", "cas", "delete"
	value        string // put/cas: the value written
	expect       string // cas: the value expected
	expectAbsent bool   // cas: expected the key to be missing (?cas=0)
}

// kvOutput is what the client saw. unknown marks a write that may or may
// not have been applied; its return time is the end of the history.
type kvOutput struct {
	unknown bool
	swapped bool   // cas
	found   bool   // get
	read    string // get
}

// kvState is one key's value; the zero value is "missing".
type kvState struct {
	present bool
	value   string
}

// kvModel is a register with compare-and-swap and delete, partitioned by
// key. A CAS names the version it read by ModifyIndex; since every value
// written in a run is unique, "the version read" and "the value read" are
// the same thing, so the model compares values.
var kvModel = porcupine.Model{
	Partition: partitionByKey,
	Init:      func() any { return kvState{} },
	Step: func(state, input, output any) (bool, any) {
		st, in, out := state.(kvState), input.(kvInput), output.(kvOutput)
		switch in.kind {
		case "get":
			return out.found == st.present && (!st.present || out.read == st.value), st
		case "put":
			return true, kvState{present: true, value: in.value}
		case "delete":
			return true, kvState{}
		case "cas":
			match := !st.present
			if !in.expectAbsent {
				match = st.present && st.value == in.expect
			}
			if out.unknown {
				// Linearized here it happened; one that never happened
				// is linearized after everything else.
				if match {
					return true, kvState{present: true, value: in.value}
				}
				return true, st
			}
			if out.swapped {
				return match, kvState{present: true, value: in.value}
			}
			return !match, st
		}
		panic("kv model: unknown operation " + in.kind)
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(kvInput), output.(kvOutput)
		switch {
		case in.kind == "get" && !out.found:
			return "get() -> missing"
		case in.kind == "get":
			return fmt.Sprintf("get() -> %q", out.read)
		case out.unknown && in.kind == "cas":
			return fmt.Sprintf("cas(%s, %q) -> ?", describeExpect(in), in.value)
		case in.kind == "cas":
			return fmt.Sprintf("cas(%s, %q) -> %v", describeExpect(in), in.value, out.swapped)
		case out.unknown && in.kind == "put":
			return fmt.Sprintf("put(%q) -> ?", in.value)
		case in.kind == "put":
			return fmt.Sprintf("put(%q)", in.value)
		case out.unknown:
			return "delete() -> ?"
		}
		return "delete()"
	},
	DescribeState: func(state any) string {
		st := state.(kvState)
		if !st.present {
			return "missing"
		}
		return fmt.Sprintf("%q", st.value)
	},
	DescribeOperationMetadata: func(info any) string {
		m := info.(opMeta)
		return m.node + " " + m.desc
	},
}

func describeExpect(in kvInput) string {
	if in.expectAbsent {
		return "missing"
	}
	return fmt.Sprintf("%q", in.expect)
}

// opMeta is what an operation's Metadata carries: its key (for the
// partition) and where it ran (for the visualisation).
type opMeta struct {
	key  string
	node string
	desc string
}

func partitionByKey(history []porcupine.Operation) [][]porcupine.Operation {
	byKey := map[string][]porcupine.Operation{}
	var order []string
	for _, op := range history {
		k := op.Metadata.(opMeta).key
		if _, ok := byKey[k]; !ok {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], op)
	}
	out := make([][]porcupine.Operation, 0, len(order))
	for _, k := range order {
		out = append(out, byKey[k])
	}
	return out
}

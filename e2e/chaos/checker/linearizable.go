package checker

import (
	"fmt"
	"os"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/rosterhq/roster/e2e/chaos/workload"
)

// LinearizabilityResult is the verdict on a KV history.
type LinearizabilityResult struct {
	Verdict porcupine.CheckResult // Ok, Illegal or Unknown (timed out)
	// Ops is how many operations were checked, Maybe how many of them
	// were writes of unknown outcome, Dropped how many failed reads and
	// certainly-failed writes were left out.
	Ops, Maybe, Dropped int
	Keys                int
	Took                time.Duration
	// Visualization is the HTML file written when the verdict is not Ok.
	Visualization string
}

func (r LinearizabilityResult) String() string {
	s := fmt.Sprintf("%s (%d ops on %d keys, %d maybe-applied, %d dropped, checked in %s)",
		r.Verdict, r.Ops, r.Keys, r.Maybe, r.Dropped, r.Took.Round(time.Millisecond))
	if r.Visualization != "" {
		s += "; visualization: " + r.Visualization
	}
	return s
}

// ToOperations turns a workload history into porcupine operations.
// Acknowledged operations keep their times; writes of unknown outcome
// stay open until after the last return (they may have taken effect at
// any point after their call, or never); failed reads and writes that
// certainly were not applied are dropped.
func ToOperations(ops []workload.KVOp, nodeNames []string) (out []porcupine.Operation, maybe, dropped int) {
	var end int64
	for _, op := range ops {
		end = max(end, int64(op.Return))
	}
	end++
	for _, op := range ops {
		if op.Outcome == workload.Fail {
			dropped++
			continue
		}
		if op.Kind == workload.Get && op.Outcome != workload.OK {
			dropped++
			continue
		}
		in := kvInput{kind: op.Kind.String(), value: op.Value}
		if op.Kind == workload.CAS {
			in.expect, in.expectAbsent = op.Expect, op.ExpectAbsent
		}
		o := kvOutput{swapped: op.Swapped, found: op.Found, read: op.Read}
		ret := int64(op.Return)
		if op.Outcome == workload.Unknown {
			o = kvOutput{unknown: true}
			ret = end
			maybe++
		}
		node := fmt.Sprintf("n%d", op.Node+1)
		if op.Node < len(nodeNames) {
			node = nodeNames[op.Node]
		}
		desc := ""
		if op.Final {
			desc = "final read"
		} else if op.Err != "" {
			desc = op.Err
		}
		out = append(out, porcupine.Operation{
			ClientId: op.Client,
			Input:    in,
			Call:     int64(op.Call),
			Output:   o,
			Return:   ret,
			Metadata: opMeta{key: op.Key, node: node, desc: desc},
		})
	}
	return out, maybe, dropped
}

// CheckLinearizable checks the KV history against the register+CAS model.
// When the verdict is not Ok it writes porcupine's HTML visualization to
// vizPath. timeout bounds the search (0: none).
func CheckLinearizable(ops []workload.KVOp, nodeNames []string, timeout time.Duration, vizPath string) (LinearizabilityResult, error) {
	history, maybe, dropped := ToOperations(ops, nodeNames)
	keys := map[string]bool{}
	for _, op := range history {
		keys[op.Metadata.(opMeta).key] = true
	}
	res := LinearizabilityResult{Ops: len(history), Maybe: maybe, Dropped: dropped, Keys: len(keys)}
	start := time.Now()
	res.Verdict = porcupine.CheckOperationsTimeout(kvModel, history, timeout)
	res.Took = time.Since(start)
	if res.Verdict == porcupine.Ok {
		return res, nil
	}
	// Again, verbosely, for the picture: it shows the longest partial
	// linearization of each key and where it got stuck.
	_, info := porcupine.CheckOperationsVerbose(kvModel, history, timeout)
	f, err := os.Create(vizPath)
	if err != nil {
		return res, fmt.Errorf("create visualization: %w", err)
	}
	defer f.Close()
	if err := porcupine.Visualize(kvModel, info, f); err != nil {
		return res, fmt.Errorf("write visualization: %w", err)
	}
	res.Visualization = vizPath
	return res, nil
}

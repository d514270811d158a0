package checker

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Terms records which nodes were leader in which Raft term.
type Terms map[uint64][]string

// Observe records that node led in term.
func (t Terms) Observe(term uint64, node string) {
	if !slices.Contains(t[term], node) {
		t[term] = append(t[term], node)
	}
}

// Violations lists the terms with more than one leader.
func (t Terms) Violations() []string {
	var terms []uint64
	for term, nodes := range t {
		if len(nodes) > 1 {
			terms = append(terms, term)
		}
	}
	slices.Sort(terms)
	var out []string
	for _, term := range terms {
		nodes := slices.Clone(t[term])
		slices.Sort(nodes)
		out = append(out, fmt.Sprintf("term %d had leaders %s", term, strings.Join(nodes, ", ")))
	}
	return out
}

// Elections returns how many terms had a leader.
func (t Terms) Elections() int { return len(t) }

// ReadElections adds to t the elections node won, from its agent's JSON
// log: hashicorp/raft logs "election won" with the term at Info. It
// returns how many it found; lines that are not JSON are skipped (a
// panic's stack, for instance).
func ReadElections(t Terms, node string, log io.Reader) (int, error) {
	sc := bufio.NewScanner(log)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	found := 0
	for sc.Scan() {
		line := sc.Bytes()
		if !strings.Contains(string(line), `"election won"`) {
			continue
		}
		var rec struct {
			Msg  string `json:"msg"`
			Term any    `json:"term"`
		}
		if json.Unmarshal(line, &rec) != nil || rec.Msg != "election won" {
			continue
		}
		var term uint64
		switch v := rec.Term.(type) {
		case float64:
			term = uint64(v)
		case string:
			if _, err := fmt.Sscan(v, &term); err != nil {
				continue
			}
		default:
			continue
		}
		t.Observe(term, node)
		found++
	}
	return found, sc.Err()
}

package workload

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"
)

// kvEntry is the part of Consul's KVPair the checker needs.
type kvEntry struct {
	Key         string
	Value       []byte
	ModifyIndex uint64
}

// kvClient runs KV operations against one node and records them.
type kvClient struct {
	h       *History
	http    *http.Client
	node    int
	addr    string
	timeout time.Duration
	clients *atomic.Int64 // porcupine client IDs, shared by all workers
	client  int
}

func (c *kvClient) url(key string, query string) string {
	u := "http://" + c.addr + "/v1/kv/" + url.PathEscape(key)
	if query != "" {
		u += "?" + query
	}
	return u
}

// finish records op, moving the worker to a new porcupine client after an
// Unknown outcome: that operation stays open to the end of the history,
// and one client's operations must not overlap.
func (c *kvClient) finish(op KVOp) {
	op.Return = c.h.Now()
	c.h.addKV(op)
	if op.Outcome == Unknown {
		c.client = int(c.clients.Add(1)) - 1
	}
}

// get reads key with ?consistent (linearizable). Failed reads are kept
// with Outcome Fail; the checker drops them.
func (c *kvClient) get(ctx context.Context, key string) KVOp {
	op := KVOp{Client: c.client, Node: c.node, Key: key, Kind: Get, Call: c.h.Now()}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	r := do(ctx, c.http, http.MethodGet, c.url(key, "consistent"), nil)
	switch {
	case r.err == nil && r.status == http.StatusNotFound:
		op.Outcome = OK
	case r.err == nil && r.status == http.StatusOK:
		var entries []kvEntry
		if err := json.Unmarshal(r.body, &entries); err != nil || len(entries) != 1 {
			op.Outcome, op.Err = Fail, fmt.Sprintf("undecodable read: %v: %.100s", err, r.body)
			c.h.unexpectedf(op.Err)
			break
		}
		op.Outcome, op.Found, op.Read, op.Index = OK, true, string(entries[0].Value), entries[0].ModifyIndex
	default:
		op.Outcome, op.Err = Fail, r.errText()
	}
	// A read has no effect, so even a timed-out one is simply dropped:
	// no new client needed.
	op.Return = c.h.Now()
	c.h.addKV(op)
	return op
}

// put writes a unique value.
func (c *kvClient) put(ctx context.Context, key, value string) {
	op := KVOp{Client: c.client, Node: c.node, Key: key, Kind: Put, Value: value, Call: c.h.Now()}
	c.write(ctx, &op, c.url(key, ""), http.MethodPut, []byte(value))
}

// cas writes value if the key still holds what read saw.
func (c *kvClient) cas(ctx context.Context, read KVOp, value string) {
	op := KVOp{Client: c.client, Node: c.node, Key: read.Key, Kind: CAS, Value: value,
		Expect: read.Read, ExpectAbsent: !read.Found, CASIndex: read.Index, Call: c.h.Now()}
	c.write(ctx, &op, c.url(read.Key, "cas="+strconv.FormatUint(read.Index, 10)), http.MethodPut, []byte(value))
}

// del deletes the key.
func (c *kvClient) del(ctx context.Context, key string) {
	op := KVOp{Client: c.client, Node: c.node, Key: key, Kind: Delete, Call: c.h.Now()}
	c.write(ctx, &op, c.url(key, ""), http.MethodDelete, nil)
}

func (c *kvClient) write(ctx context.Context, op *KVOp, u, method string, body []byte) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	r := do(ctx, c.http, method, u, body)
	op.Outcome = r.writeOutcome()
	if op.Outcome == OK {
		switch string(trimNL(r.body)) {
		case "true":
			op.Swapped = true
		case "false":
			if op.Kind != CAS {
				op.Outcome, op.Err = Unknown, "a plain write answered false"
				c.h.unexpectedf(fmt.Sprintf("%s %s on n%d answered false", op.Kind, op.Key, c.node+1))
			}
		default:
			op.Outcome, op.Err = Unknown, fmt.Sprintf("unexpected body %.100q", r.body)
			c.h.unexpectedf(op.Err)
		}
	} else {
		op.Err = r.errText()
		if r.err == nil && r.status >= 400 && r.status < 500 {
			c.h.unexpectedf(fmt.Sprintf("%s %s on n%d: %s", op.Kind, op.Key, c.node+1, op.Err))
		}
	}
	c.finish(*op)
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

// kvWorker issues operations on random keys at about rate per second until
// ctx ends. Mix: 40% get, 35% put, 20% CAS (after a get), 5% delete.
func kvWorker(ctx context.Context, c *kvClient, keys []string, rate float64, rng *rand.Rand, name string) {
	seq := 0
	paced(ctx, rate, func(opCtx context.Context) {
		key := keys[rng.IntN(len(keys))]
		seq++
		value := fmt.Sprintf("%s-%d", name, seq)
		switch p := rng.Float64(); {
		case p < 0.40:
			c.get(opCtx, key)
		case p < 0.75:
			c.put(opCtx, key, value)
		case p < 0.95:
			if read := c.get(opCtx, key); read.Outcome == OK {
				c.cas(opCtx, read, value)
			}
		default:
			c.del(opCtx, key)
		}
	})
}

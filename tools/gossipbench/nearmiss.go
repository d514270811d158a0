package main

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"
)

// nearMissHandler counts memberlist's "Refuting a suspect/dead message"
// lines from nodes that were not restarted recently: each one is a live
// node that another node suspected, i.e. a false verdict that refutation
// prevented. A restarted node refutes its old death once; those are not
// counted. It forwards records to next.
type nearMissHandler struct {
	next     slog.Handler
	node     string
	cluster  *cluster
	nearMiss *atomic.Int64
}

func (h *nearMissHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn || h.next.Enabled(ctx, l)
}

func (h *nearMissHandler) Handle(ctx context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, "Refuting a") && h.cluster.sinceRestart(h.node) > flapWindow {
		h.nearMiss.Add(1)
	}
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *nearMissHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	for _, a := range as {
		if a.Key == "node" {
			c.node = a.Value.String()
		}
	}
	c.next = h.next.WithAttrs(as)
	return &c
}

func (h *nearMissHandler) WithGroup(g string) slog.Handler {
	c := *h
	c.next = h.next.WithGroup(g)
	return &c
}

// sinceRestart is how long ago node last came back (forever if never).
func (c *cluster) sinceRestart(node string) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.restarted[node]
	if !ok {
		return time.Duration(1<<63 - 1)
	}
	return time.Since(t)
}

package gossip

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/hashicorp/memberlist"
)

// A leave intent says "node N, in its run with boot token B, is leaving
// gracefully". Leave gossips one before memberlist's own leave, and every
// node that hears a new intent gossips it on and keeps it for
// intentTTL, also sending its recent intents in push/pull state.
//
// memberlist v0.6.0 cannot tell its NotifyLeave callback whether a node
// left or failed (hashicorp/memberlist#293), and its own alive/dead
// messages may arrive in either order, so the intent is separate and
// order-independent: NotifyLeave after an intent means left; an intent
// arriving after the node was declared failed turns failed into left.
// The boot token (random per Pool, carried in the node's metadata) keeps
// an intent from an earlier run of the same node from matching a later one.

// User message types (first byte of a memberlist user message).
const msgLeaveIntent byte = 1

// encodeIntent is the user message: type, boot (8 bytes), name.
func encodeIntent(name string, boot uint64) []byte {
	b := make([]byte, 0, 1+8+len(name))
	b = append(b, msgLeaveIntent)
	b = binary.BigEndian.AppendUint64(b, boot)
	return append(b, name...)
}

// decodeIntent parses a user message of type msgLeaveIntent.
func decodeIntent(b []byte) (name string, boot uint64, err error) {
	if len(b) < 1+8+1 || b[0] != msgLeaveIntent {
		return "", 0, fmt.Errorf("%w: leave intent of %d bytes", errMetaFormat, len(b))
	}
	return string(b[9:]), binary.BigEndian.Uint64(b[1:9]), nil
}

// intentState is what push/pull carries: version byte, then per intent
// uvarint name length, name, boot (8 bytes).
const intentStateVersion = 1

func encodeIntentState(ins map[string]uint64) []byte {
	if len(ins) == 0 {
		return nil
	}
	b := []byte{intentStateVersion}
	for name, boot := range ins {
		b = binary.AppendUvarint(b, uint64(len(name)))
		b = append(b, name...)
		b = binary.BigEndian.AppendUint64(b, boot)
	}
	return b
}

func decodeIntentState(b []byte) (map[string]uint64, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if b[0] != intentStateVersion {
		return nil, fmt.Errorf("%w: intent state version %d", errMetaFormat, b[0])
	}
	out := map[string]uint64{}
	for b = b[1:]; len(b) > 0; {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) || len(b)-k-int(n) < 8 {
			return nil, fmt.Errorf("%w: intent state truncated", errMetaFormat)
		}
		name := string(b[k : k+int(n)])
		out[name] = binary.BigEndian.Uint64(b[k+int(n):])
		b = b[k+int(n)+8:]
	}
	return out, nil
}

// intentBroadcast is one intent in memberlist's TransmitLimitedQueue. A
// newer intent for the same node replaces an older one.
type intentBroadcast struct {
	name   string
	msg    []byte
	notify chan struct{} // closed when transmitted enough; may be nil
	once   sync.Once
}

var _ memberlist.NamedBroadcast = (*intentBroadcast)(nil)

func newIntentBroadcast(name string, boot uint64, notify chan struct{}) *intentBroadcast {
	return &intentBroadcast{name: name, msg: encodeIntent(name, boot), notify: notify}
}

// Invalidates, Message, Finished and Name implement memberlist's
// NamedBroadcast. memberlist calls them under its queue lock: no blocking.
func (b *intentBroadcast) Invalidates(o memberlist.Broadcast) bool {
	ob, ok := o.(*intentBroadcast)
	return ok && ob.name == b.name
}
func (b *intentBroadcast) Message() []byte { return b.msg }
func (b *intentBroadcast) Name() string    { return "leave-intent:" + b.name }
func (b *intentBroadcast) Finished() {
	if b.notify != nil {
		b.once.Do(func() { close(b.notify) })
	}
}

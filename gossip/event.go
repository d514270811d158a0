package gossip

// EventType says what changed about a member.
type EventType int

// Event types. The type is derived from the last state delivered for the
// same node, so a consumer that applies events in order always ends with
// the pool's current view.
const (
	// EventJoin: the member is new to the consumer, or was failed/left and
	// is up again (a restart or a refuted failure). Member.Status is
	// StatusAlive or StatusLeaving. The local node gets one too.
	EventJoin EventType = iota + 1
	// EventUpdate: an up member changed metadata, address or status
	// (alive → leaving).
	EventUpdate
	// EventFailed: the failure detector declared the member dead.
	EventFailed
	// EventLeft: the member left gracefully.
	EventLeft
	// EventReap: a failed or left member was forgotten after its retention
	// period; Member is its last known state. Consumers may drop the node
	// from their catalogs.
	EventReap
)

// String returns "join", "update", "failed", "left", "reap" or "unknown".
func (t EventType) String() string {
	switch t {
	case EventJoin:
		return "join"
	case EventUpdate:
		return "update"
	case EventFailed:
		return "failed"
	case EventLeft:
		return "left"
	case EventReap:
		return "reap"
	default:
		return "unknown"
	}
}

// Event is one membership change delivered on Pool.Events.
type Event struct {
	Type   EventType
	Member Member
}

// String is for logs.
func (e Event) String() string { return e.Type.String() + " " + e.Member.String() }

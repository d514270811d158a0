// Package gossip owns roster's cluster membership: it wraps
// github.com/hashicorp/memberlist to join a pool of agents, advertise each
// agent's metadata (node ID, role, Raft, HTTP and DNS addresses), and report
// liveness changes (join, update, failed, left) to one consumer.
//
// Only this package knows memberlist. It imports nothing else from roster;
// the agent turns Events into registry and consensus actions.
//
// Invariants:
//
//   - memberlist's goroutines never block on roster: delegate callbacks only
//     update an in-memory table under a short mutex and poke a 1-buffered
//     channel. A pump goroutine owned by the Pool delivers Events, so a slow
//     or absent consumer delays only its own deliveries.
//   - Per node, events are delivered in the order the states were observed;
//     when the consumer falls behind, intermediate states of a node are
//     coalesced and the latest state wins. A state identical to the last one
//     delivered for that node is not delivered again.
//   - Encoded metadata never exceeds memberlist.MetaMaxSize: New and
//     UpdateMeta reject oversize metadata with ErrMetaTooLarge instead of
//     letting memberlist panic.
//   - A graceful Leave is seen by other pools as StatusLeft, an abrupt stop
//     (Shutdown without Leave, kill -9, crash) as StatusFailed. memberlist
//     v0.6.0 does not expose that distinction to NotifyLeave (Node.State is
//     always StateAlive there, hashicorp/memberlist#293), so Leave first
//     gossips a leave intent for this run of the node (see intent.go) and
//     then leaves. The intent is order-independent: if it arrives after a
//     failure verdict, the member turns from failed to left.
//   - Failed and left members stay visible in Members for a retention period
//     (Config.FailedRetention, Config.LeftRetention), after which an
//     EventReap is delivered and they are forgotten.
package gossip

package presence

import (
	"context"
	"time"

	"github.com/chatd/chat/domain"
)

// Store persists presence. Every method is a system action of this node,
// not of an acting user, except Presences, which reads as the actor so that
// row-level security decides whose presence the actor may see.
type Store interface {
	// Record applies status changes decided by nodeID, in one transaction.
	// An online change makes nodeID the user's owner; an offline change
	// applies only while nodeID still owns the user (another node that took
	// the user over decides from then on). A change whose status is already
	// stored writes no event; every real change upserts user_presences and
	// writes a presence_changed event for the user's channels. A Reclaim
	// change only turns back online a user stored as offline under nodeID.
	// It returns the changes that were announced, with their stored times.
	Record(ctx context.Context, nodeID string, changes []Change) (announced []domain.UserPresence, err error)

	// Presences returns the stored presence of those of ids the actor may
	// see (itself and users sharing a channel with it); the others, and
	// users never seen, are left out.
	Presences(ctx context.Context, actorID string, ids []string) ([]domain.UserPresence, error)

	// OwnedOnline lists the users stored as online and owned by nodeID: the
	// users a restarted node must time out itself, since its liveness row
	// never went stale for the sweeper to notice.
	OwnedOnline(ctx context.Context, nodeID string) ([]string, error)
}

// Change is a status change decided by this node, for the Store to write.
type Change struct {
	domain.UserPresence
	// Reclaim marks the online change of a user this node still serves,
	// queued because a sweeper may have taken the user offline while the
	// node looked dead. It restores only a user stored as offline under
	// this node, so it never takes a user from a node they moved to.
	Reclaim bool
}

// Clock tells the time; tests move a fake one by hand.
type Clock interface {
	Now() time.Time
}

// Trigger is the delayed offline trigger of this node (product design §3 in
// docs/architecture.md): it knows which users are online here, when each
// of their connections last heartbeated, and when each user times out. It
// queues the resulting status changes, latest per user, in the order they
// happen, for the flusher to write. *Tracker is the implementation.
type Trigger interface {
	// Beat records an online heartbeat of one connection and pushes the
	// user's deadline to now + timeout. It reports whether the user went
	// online (and an online change was queued).
	Beat(userID, sessionID string, now time.Time) (wentOnline bool)
	// Leave records an explicit offline heartbeat of one connection. The
	// user goes offline unless another connection heartbeated within the
	// timeout; it reports whether an offline change was queued.
	Leave(userID, sessionID string, now time.Time) (wentOffline bool)
	// Adopt tracks a user as online until now + timeout without queueing a
	// change (the user is stored as online already).
	Adopt(userID string, now time.Time)
	// Expire takes offline every user whose deadline is not after now,
	// queueing their offline changes, and reports how many.
	Expire(now time.Time) int
	// Reannounce queues a Reclaim online change for every tracked user,
	// for when this node learns it may have been swept as dead.
	Reannounce(now time.Time) int
	// TakeChanges appends the queued changes to buf and forgets them.
	TakeChanges(buf []Change) []Change
	// Requeue puts back changes that could not be written, except those
	// of users with a newer change queued meanwhile.
	Requeue(changes []Change)
	// Online reports how many users are online on this node.
	Online() int
}

// Metrics counts what the presence use cases do (telemetry.PresenceMetrics
// exports it to Prometheus). A nil Metrics counts nothing.
type Metrics interface {
	HeartbeatReceived()
	StatusChanged(status domain.PresenceStatus)
}

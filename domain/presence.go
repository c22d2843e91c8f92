package domain

import "time"

// PresenceStatus is whether a user is reachable now.
type PresenceStatus string

// The presence states of the product design (docs/architecture.md).
const (
	PresenceOnline  PresenceStatus = "online"
	PresenceOffline PresenceStatus = "offline"
)

// ParsePresenceStatus accepts the wire names of presence states.
func ParsePresenceStatus(s string) (PresenceStatus, error) {
	switch PresenceStatus(s) {
	case PresenceOnline, PresenceOffline:
		return PresenceStatus(s), nil
	}
	return "", Errorf(KindValidation, "status must be \"online\" or \"offline\"")
}

// UserPresence is the last known presence of a user. LastEventAt is when the
// status last changed.
type UserPresence struct {
	UserID      string
	Status      PresenceStatus
	LastEventAt time.Time
}

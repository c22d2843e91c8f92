package domain

// Actor is who a command acts as: the authenticated user and the session
// (one connection of that user) the command came from. Row-level security
// trusts UserID; SessionID tags the events the command causes, so the
// session that asked gets its direct reply and not a second copy of the
// event, while the user's other sessions get the event.
type Actor struct {
	UserID    string
	SessionID string
}

// SystemActor acts for a user outside any session (the admin API, the
// presence sweeper): every session of the user receives its events.
func SystemActor(userID string) Actor {
	return Actor{UserID: userID}
}

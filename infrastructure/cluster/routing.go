package cluster

import (
	"slices"
	"time"
)

// The methods here answer the questions of event routing (the fan-out
// router and the gateway's migration sweep) and are safe for concurrent
// use.

// Self is this node's id.
func (m *Membership) Self() string { return m.cfg.Self.NodeID }

// Owners names the nodes that must get userID's events now: the owner on
// the current ring first, then the different owners of views replaced
// within the handover window, whose connections of the user may still be
// open. An empty ring falls back to this node.
func (m *Membership) Owners(userID string) []string {
	owner, _ := m.OwnerOf(userID)
	owners := []string{owner}
	for _, v := range m.previous.views(time.Now()) {
		if old, ok := v.Owner(userID); ok && !slices.Contains(owners, old.NodeID) {
			owners = append(owners, old.NodeID)
		}
	}
	return owners
}

// IsMember reports whether nodeID is on the current ring. A node that left
// it (stopped, or its lease expired after a crash) no longer owns anyone,
// so events it could not take are not retried for it.
func (m *Membership) IsMember(nodeID string) bool {
	_, ok := m.View().Members[nodeID]
	return ok
}

// InternalURL is where nodeID takes events from other nodes, looked up on
// the current ring and then on the replaced views still in handover.
func (m *Membership) InternalURL(nodeID string) (string, bool) {
	if member, ok := m.View().Members[nodeID]; ok {
		return member.InternalURL, true
	}
	for _, v := range m.previous.views(time.Now()) {
		if member, ok := v.Members[nodeID]; ok {
			return member.InternalURL, true
		}
	}
	return "", false
}

// Changed is closed at the next ring change; callers take a fresh one
// after each change.
func (m *Membership) Changed() <-chan struct{} { return m.View().Changed }

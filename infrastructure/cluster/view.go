// Package cluster is the node's membership in the gateway cluster: it
// registers the node in etcd under a lease the node keeps alive, watches the
// other registrations and rebuilds the consistent hash ring on every change,
// so every node answers "who owns this user" the same way. Without etcd the
// ring is this node alone.
package cluster

import (
	"encoding/json"
	"fmt"

	"github.com/chatd/chat/domain"
)

// Member is one node's registration, stored as JSON under the prefix. The
// JSON names are the contract between nodes of different versions.
type Member struct {
	NodeID      string `json:"nodeId"`
	WSURL       string `json:"wsURL"`
	InternalURL string `json:"internalURL"`
	Weight      int    `json:"weight"`
}

func (m Member) encode() (string, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode member %s: %w", m.NodeID, err)
	}
	return string(b), nil
}

func decodeMember(value []byte) (Member, error) {
	var m Member
	if err := json.Unmarshal(value, &m); err != nil {
		return Member{}, fmt.Errorf("decode member: %w", err)
	}
	if m.NodeID == "" || m.Weight <= 0 {
		return Member{}, fmt.Errorf("member %q: node id must be set and weight positive", m.NodeID)
	}
	return m, nil
}

// View is one immutable snapshot of the cluster: the members and the ring
// built from them. Readers hold a View without locks; a membership change
// builds a new one and closes Changed of the old.
type View struct {
	Ring    *domain.Ring
	Members map[string]Member // by node id
	// Changed is closed when a newer View replaces this one, so a caller
	// can wait for the next change without polling.
	Changed <-chan struct{}
	changed chan struct{}
}

// newView builds the ring over members with vnodes points per unit of
// weight.
func newView(members map[string]Member, vnodes int) (*View, error) {
	nodes := make([]domain.RingNode, 0, len(members))
	for _, m := range members {
		nodes = append(nodes, domain.RingNode{ID: m.NodeID, Weight: m.Weight})
	}
	ring, err := domain.NewRing(nodes, vnodes)
	if err != nil {
		return nil, fmt.Errorf("build ring of %d nodes: %w", len(nodes), err)
	}
	changed := make(chan struct{})
	return &View{Ring: ring, Members: members, Changed: changed, changed: changed}, nil
}

// Owner returns the member that owns userID; ok is false on an empty ring.
func (v *View) Owner(userID string) (Member, bool) {
	node, ok := v.Ring.Owner(userID)
	if !ok {
		return Member{}, false
	}
	return v.Members[node.ID], true
}

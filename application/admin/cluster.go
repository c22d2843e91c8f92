package admin

import "context"

// Standalone is the Cluster of a node that runs alone: it owns the whole
// hash space. It serves until the cluster membership adapter takes its
// place in the wiring.
type Standalone struct {
	NodeID string
}

// Nodes returns the node itself with weight 1 and the whole hash space.
// A ring of one node needs only one point on it.
func (s Standalone) Nodes(context.Context) ([]Node, error) {
	return []Node{{ID: s.NodeID, Self: true, Weight: 1, VirtualNodes: 1, Share: 1}}, nil
}

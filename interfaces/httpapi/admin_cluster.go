package httpapi

import "net/http"

// NodeResponse is one gateway node and its place on the consistent hash
// ring.
type NodeResponse struct {
	ID string `json:"id" example:"node-1"`
	// URL is where clients open the WebSocket on this node.
	URL string `json:"url" example:"ws://127.0.0.1:8080/ws"`
	// Self marks the node that answered this request.
	Self   bool `json:"self" example:"true"`
	Weight int  `json:"weight" example:"1"`
	// VirtualNodes is how many points the node holds on the ring.
	VirtualNodes int `json:"virtualNodes" example:"1"`
	// Share is the fraction of the hash space, so of the users, the node owns (0 to 1; all nodes add up to 1).
	Share float64 `json:"share" example:"1"`
} // @name NodeResponse

// ClusterResponse is the cluster as the answering node sees it.
type ClusterResponse struct {
	// NodeID is the node that answered.
	NodeID string         `json:"nodeId" example:"node-1"`
	Nodes  []NodeResponse `json:"nodes"`
} // @name ClusterResponse

// cluster godoc
//
//	@Summary		Get the cluster's nodes and ring
//	@Description	The live gateway nodes with their weight, virtual nodes and share of the consistent hash ring. A node running alone owns the whole ring.
//	@ID				getCluster
//	@Tags			cluster
//	@Produce		json
//	@Success		200	{object}	ClusterResponse
//	@Failure		400	{object}	ErrorBody
//	@Failure		401	{object}	ErrorBody
//	@Failure		503	{object}	ErrorBody	"cluster membership unavailable"
//	@Security		AdminToken
//	@Router			/admin/v1/cluster [get]
func (h adminHandlers) cluster(w http.ResponseWriter, r *http.Request) {
	if _, err := readQuery(r); err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	nodes, err := h.admin.Nodes(r.Context())
	if err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	resp := ClusterResponse{NodeID: h.nodeID, Nodes: make([]NodeResponse, 0, len(nodes))}
	for _, n := range nodes {
		url := n.URL
		if url == "" && n.Self {
			url = selfWSURL(r)
		}
		resp.Nodes = append(resp.Nodes, NodeResponse{ID: n.ID, URL: url, Self: n.Self, Weight: n.Weight, VirtualNodes: n.VirtualNodes, Share: n.Share})
	}
	writeJSON(w, http.StatusOK, resp)
}

package httpapi

import (
	"log/slog"
	"net/http"
)

// GatewayResponse tells a client which node to open its WebSocket on.
type GatewayResponse struct {
	URL    string `json:"url" example:"ws://127.0.0.1:8080/ws"`
	NodeID string `json:"nodeId" example:"node-1"`
} // @name GatewayResponse

// Owners tells which gateway node owns a user on the consistent hash ring.
// wsURL is empty for a node that advertises no address of its own; the
// client is then sent back where it already is.
type Owners interface {
	OwnerOf(userID string) (nodeID, wsURL string)
}

// selfOwner is the Owners of a router given none: this node owns everyone.
type selfOwner string

func (s selfOwner) OwnerOf(string) (nodeID, wsURL string) { return string(s), "" }

type gatewayHandlers struct {
	identity Identity
	owners   Owners
	logger   *slog.Logger
}

// lookup godoc
//
//	@Summary	Find the gateway node that owns the caller
//	@Description	Returns the WebSocket URL of the node that owns the user on the consistent hash ring. A single node returns itself.
//	@ID			getGateway
//	@Tags		gateway
//	@Produce	json
//	@Success	200	{object}	GatewayResponse
//	@Failure	401	{object}	ErrorBody
//	@Security	UserToken
//	@Router		/v1/gateway [get]
func (h gatewayHandlers) lookup(w http.ResponseWriter, r *http.Request) {
	user, err := h.identity.Authenticate(r.Context(), bearerToken(r))
	if err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	nodeID, url := h.owners.OwnerOf(user.ID)
	if url == "" {
		url = selfWSURL(r)
	}
	writeJSON(w, http.StatusOK, GatewayResponse{URL: url, NodeID: nodeID})
}

// selfWSURL is the WebSocket URL of this node as the client reached it:
// a node that has no address of its own to advertise is found where the
// client already is.
func selfWSURL(r *http.Request) string {
	scheme := "ws"
	if r.TLS != nil {
		scheme = "wss"
	}
	return scheme + "://" + r.Host + "/ws"
}

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

type gatewayHandlers struct {
	identity Identity
	nodeID   string
	logger   *slog.Logger
}

// lookup godoc
//
//	@Summary	Find the gateway node that owns the caller
//	@Description	Returns the WebSocket URL of the node that owns the user on the consistent hash ring. A single node returns itself.
//	@Tags		gateway
//	@Produce	json
//	@Success	200	{object}	GatewayResponse
//	@Failure	401	{object}	ErrorBody
//	@Security	UserToken
//	@Router		/v1/gateway [get]
func (h gatewayHandlers) lookup(w http.ResponseWriter, r *http.Request) {
	if _, err := h.identity.Authenticate(r.Context(), bearerToken(r)); err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	writeJSON(w, http.StatusOK, GatewayResponse{URL: selfWSURL(r), NodeID: h.nodeID})
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

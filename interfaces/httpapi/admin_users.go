package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/chatd/chat/application/admin"
	"github.com/chatd/chat/interfaces/protocol"
)

// UserListResponse is one page of users, oldest first.
type UserListResponse struct {
	Users []UserResponse `json:"users"`
	// NextCursor is absent on the last page; pass it as ?cursor= to get the next one.
	NextCursor string `json:"nextCursor,omitempty" example:"eyJsIjoidXNlcnMiLCJ0IjoxNzk1NDAwMDAwMDAwMDAwLCJpIjoidTEifQ"`
} // @name UserListResponse

// PresenceResponse is a user's last known presence.
type PresenceResponse struct {
	UserID string `json:"userId" example:"u1"`
	Status string `json:"status" enums:"online,offline" example:"online"`
	// LastEventAt is when the status last changed; null for a user never
	// seen, as in the WebSocket API's presence.
	LastEventAt *string `json:"lastEventAt" extensions:"x-nullable" example:"2026-11-22T12:00:00.000Z"`
	// NodeID is the gateway node that recorded the status; absent for a user never seen.
	NodeID string `json:"nodeId,omitempty" example:"node-1"`
} // @name PresenceResponse

// adminHandlers serve the operator's listings and actions.
type adminHandlers struct {
	admin  Admin
	nodeID string
	logger *slog.Logger
}

// listUsers godoc
//
//	@Summary		List users
//	@Description	Oldest first, by creation time then id. Page with the opaque nextCursor of the previous page until it is absent: pages never repeat or skip a user.
//	@ID				listUsers
//	@Tags			users
//	@Produce		json
//	@Param			limit	query		int		false	"page size, 1 to 100"	default(50)	minimum(1)	maximum(100)
//	@Param			cursor	query		string	false	"nextCursor of the previous page"
//	@Success		200		{object}	UserListResponse
//	@Failure		400		{object}	ErrorBody	"bad_request (unknown parameter, a cursor that is not the nextCursor of this listing, limit not an integer) or validation_failed (limit out of range, U+0000 in a parameter)"
//	@Failure		401		{object}	ErrorBody
//	@Security		AdminToken
//	@Router			/admin/v1/users [get]
func (h adminHandlers) listUsers(w http.ResponseWriter, r *http.Request) {
	q, err := readQuery(r, "limit", "cursor")
	if err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	lq, err := listQuery(q)
	if err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	page, err := h.admin.Users(r.Context(), lq)
	if err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	resp := UserListResponse{Users: make([]UserResponse, 0, len(page.Items)), NextCursor: page.NextCursor}
	for _, u := range page.Items {
		resp.Users = append(resp.Users, toUserResponse(u))
	}
	writeJSON(w, http.StatusOK, resp)
}

// userPresence godoc
//
//	@Summary		Get a user's presence
//	@Description	The status the gateway last recorded for the user; a user never seen is offline.
//	@ID				getUserPresence
//	@Tags			users
//	@Produce		json
//	@Param			id	path		string	true	"user id"
//	@Success		200	{object}	PresenceResponse
//	@Failure		400	{object}	ErrorBody
//	@Failure		401	{object}	ErrorBody
//	@Failure		404	{object}	ErrorBody	"no such user"
//	@Security		AdminToken
//	@Router			/admin/v1/users/{id}/presence [get]
func (h adminHandlers) userPresence(w http.ResponseWriter, r *http.Request) {
	if _, err := readQuery(r); err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	p, err := h.admin.Presence(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	resp := PresenceResponse{UserID: p.UserID, Status: string(p.Status), NodeID: p.NodeID}
	if p.Seen {
		at := protocol.FormatTime(p.LastEventAt)
		resp.LastEventAt = &at
	}
	writeJSON(w, http.StatusOK, resp)
}

// listQuery reads the limit and cursor of a listing.
func listQuery(q query) (admin.ListQuery, error) {
	limit, err := q.int("limit")
	if err != nil {
		return admin.ListQuery{}, err
	}
	return admin.ListQuery{Cursor: q["cursor"], Limit: limit}, nil
}

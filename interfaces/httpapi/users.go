package httpapi

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
)

// CreateUserRequest is the body of POST /admin/v1/users.
type CreateUserRequest struct {
	// ID is the user's id at an external identity provider; absent or
	// empty, the service generates a UUID.
	ID   string `json:"id,omitempty" maxLength:"64" example:"auth0|5f1c"`
	Name string `json:"name" minLength:"1" maxLength:"100" example:"Aiko"`
} // @name CreateUserRequest

// UserResponse is a user as the admin API shows it.
type UserResponse struct {
	ID        string `json:"id" example:"8c1e0f8a-1a2b-4c3d-9e8f-001122334455"`
	Name      string `json:"name" example:"Aiko"`
	CreatedAt string `json:"createdAt" example:"2026-11-22T12:00:00.000Z"`
} // @name UserResponse

// TokenRequest is the optional body of POST /admin/v1/users/{id}/tokens.
type TokenRequest struct {
	// TTLSeconds is the token's lifetime; absent or 0 means 24 hours.
	TTLSeconds int64 `json:"ttlSeconds,omitempty" minimum:"0" maximum:"2592000" example:"86400"`
} // @name TokenRequest

// TokenResponse is a freshly minted user token.
type TokenResponse struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expiresAt" example:"2026-11-23T12:00:00.000Z"`
} // @name TokenResponse

// maxTTLSeconds keeps the seconds-to-duration conversion from overflowing;
// the use case applies the real upper bound.
const maxTTLSeconds = 1 << 32

type userHandlers struct {
	identity Identity
	logger   *slog.Logger
}

func toUserResponse(u domain.User) UserResponse {
	return UserResponse{ID: u.ID, Name: u.Name, CreatedAt: protocol.FormatTime(u.CreatedAt)}
}

// createUser godoc
//
//	@Summary	Create a user
//	@ID			createUser
//	@Tags		users
//	@Accept		json
//	@Produce	json
//	@Param		body	body		CreateUserRequest	true	"name, and id for users of an external identity provider"
//	@Success	201		{object}	UserResponse
//	@Failure	400		{object}	ErrorBody
//	@Failure	401		{object}	ErrorBody
//	@Failure	409		{object}	ErrorBody	"a user with this id exists"
//	@Security	AdminToken
//	@Router		/admin/v1/users [post]
func (h userHandlers) createUser(w http.ResponseWriter, r *http.Request) {
	var req CreateUserRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	u, err := h.identity.CreateUser(r.Context(), req.ID, req.Name)
	if err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	writeJSON(w, http.StatusCreated, toUserResponse(u))
}

// getUser godoc
//
//	@Summary	Get a user
//	@ID			getUser
//	@Tags		users
//	@Produce	json
//	@Param		id	path		string	true	"user id"
//	@Success	200	{object}	UserResponse
//	@Failure	400	{object}	ErrorBody	"validation_failed (U+0000 in the id)"
//	@Failure	401	{object}	ErrorBody
//	@Failure	404	{object}	ErrorBody
//	@Security	AdminToken
//	@Router		/admin/v1/users/{id} [get]
func (h userHandlers) getUser(w http.ResponseWriter, r *http.Request) {
	u, err := h.identity.User(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	writeJSON(w, http.StatusOK, toUserResponse(u))
}

// mintToken godoc
//
//	@Summary	Mint a user token
//	@Description	Returns an HS256 JWT for the user (sub = user id), to open /ws with. The body is optional.
//	@ID			mintUserToken
//	@Tags		users
//	@Accept		json
//	@Produce	json
//	@Param		id		path		string			true	"user id"
//	@Param		body	body		TokenRequest	false	"token lifetime, default 24h, at most 30 days"
//	@Success	201		{object}	TokenResponse
//	@Failure	400		{object}	ErrorBody
//	@Failure	401		{object}	ErrorBody
//	@Failure	404		{object}	ErrorBody
//	@Security	AdminToken
//	@Router		/admin/v1/users/{id}/tokens [post]
func (h userHandlers) mintToken(w http.ResponseWriter, r *http.Request) {
	var req TokenRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &req); err != nil {
			writeError(w, r, h.logger, err)
			return
		}
	}
	if req.TTLSeconds < 0 || req.TTLSeconds > maxTTLSeconds {
		writeError(w, r, h.logger, domain.Errorf(domain.KindValidation, "ttlSeconds must be between 1 and %d", maxTTLSeconds))
		return
	}
	token, exp, err := h.identity.IssueToken(r.Context(), chi.URLParam(r, "id"), time.Duration(req.TTLSeconds)*time.Second)
	if err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	writeJSON(w, http.StatusCreated, TokenResponse{Token: token, ExpiresAt: protocol.FormatTime(exp)})
}

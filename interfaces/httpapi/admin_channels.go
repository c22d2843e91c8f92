package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/chatd/chat/application/admin"
	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
)

// ChannelSummaryResponse is a channel in a listing.
type ChannelSummaryResponse struct {
	ID   string `json:"id" example:"0b0e4f4e-5f5a-4d2b-9a57-2b8f3c1d9e10"`
	Type string `json:"type" enums:"direct,group" example:"group"`
	// Name is absent for direct channels and unnamed groups.
	Name        string `json:"name,omitempty" example:"ランチ"`
	LastSeq     int64  `json:"lastSeq" example:"42"`
	MemberCount int    `json:"memberCount" example:"3"`
	CreatedAt   string `json:"createdAt" example:"2026-11-22T12:00:00.000Z"`
} // @name ChannelSummaryResponse

// ChannelListResponse is one page of channels, oldest first.
type ChannelListResponse struct {
	Channels []ChannelSummaryResponse `json:"channels"`
	// NextCursor is absent on the last page; pass it as ?cursor= to get the next one.
	NextCursor string `json:"nextCursor,omitempty" example:"eyJsIjoiY2hhbm5lbHMiLCJ0IjoxNzk1NDAwMDAwMDAwMDAwLCJpIjoiMGIwZSJ9"`
} // @name ChannelListResponse

// MemberResponse is one member of a channel.
type MemberResponse struct {
	UserID   string `json:"userId" example:"u1"`
	Name     string `json:"name" example:"Aiko"`
	JoinedAt string `json:"joinedAt" example:"2026-11-22T12:00:00.000Z"`
	// How far the member has read: every message with a seq up to this one.
	LastReadSeq int64 `json:"lastReadSeq" example:"41"`
} // @name MemberResponse

// ChannelResponse is a channel with its members, oldest member first.
type ChannelResponse struct {
	ChannelSummaryResponse
	Members []MemberResponse `json:"members"`
} // @name ChannelResponse

// MessageResponse is a stored message as the operator sees it.
type MessageResponse struct {
	ID              string `json:"id" example:"5d9c2f3e-8a7b-4c6d-9e0f-112233445566"`
	ChannelID       string `json:"channelId" example:"0b0e4f4e-5f5a-4d2b-9a57-2b8f3c1d9e10"`
	Seq             int64  `json:"seq" example:"41"`
	SenderID        string `json:"senderId" example:"u1"`
	ClientMessageID string `json:"clientMessageId" example:"9b1d7c2a"`
	Body            string `json:"body" example:"こんにちは"`
	Status          string `json:"status" enums:"draft,sent,failed" example:"sent"`
	CreatedAt       string `json:"createdAt" example:"2026-11-22T12:00:00.000Z"`
} // @name MessageResponse

// MessagesResponse is a page of a channel's history in ascending seq.
type MessagesResponse struct {
	ChannelID string            `json:"channelId" example:"0b0e4f4e-5f5a-4d2b-9a57-2b8f3c1d9e10"`
	Messages  []MessageResponse `json:"messages"`
	// HasMore says more messages lie beyond the page in its direction:
	// newer ones after afterSeq, older ones below beforeSeq.
	HasMore bool `json:"hasMore" example:"false"`
} // @name MessagesResponse

func toChannelSummary(c admin.ChannelSummary) ChannelSummaryResponse {
	return ChannelSummaryResponse{
		ID:          c.Channel.ID,
		Type:        string(c.Channel.Type),
		Name:        c.Channel.Name,
		LastSeq:     c.Channel.LastSeq,
		MemberCount: c.MemberCount,
		CreatedAt:   protocol.FormatTime(c.Channel.CreatedAt),
	}
}

// listChannels godoc
//
//	@Summary		List channels
//	@Description	Oldest first, by creation time then id, optionally only of one type or only those a user belongs to. Page with the opaque nextCursor of the previous page (with the same filters) until it is absent: pages never repeat or skip a channel.
//	@ID				listChannels
//	@Tags			channels
//	@Produce		json
//	@Param			type	query		string	false	"only channels of this type"	Enums(direct, group)
//	@Param			member	query		string	false	"only channels this user id is a member of"	minlength(1)	maxlength(64)
//	@Param			limit	query		int		false	"page size, 1 to 100"	default(50)	minimum(1)	maximum(100)
//	@Param			cursor	query		string	false	"nextCursor of the previous page"
//	@Success		200		{object}	ChannelListResponse
//	@Failure		400		{object}	ErrorBody	"bad_request (unknown parameter, a cursor that is not the nextCursor of this listing, limit not an integer) or validation_failed (type, member or limit out of range or empty, U+0000 in a parameter)"
//	@Failure		401		{object}	ErrorBody
//	@Security		AdminToken
//	@Router			/admin/v1/channels [get]
func (h adminHandlers) listChannels(w http.ResponseWriter, r *http.Request) {
	q, err := readQuery(r, "type", "member", "limit", "cursor")
	if err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	lq, err := listQuery(q)
	if err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	typ, err := q.filter("type")
	if err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	member, err := q.filter("member")
	if err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	page, err := h.admin.Channels(r.Context(), admin.ChannelQuery{ListQuery: lq, Type: typ, MemberID: member})
	if err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	resp := ChannelListResponse{Channels: make([]ChannelSummaryResponse, 0, len(page.Items)), NextCursor: page.NextCursor}
	for _, c := range page.Items {
		resp.Channels = append(resp.Channels, toChannelSummary(c))
	}
	writeJSON(w, http.StatusOK, resp)
}

// getChannel godoc
//
//	@Summary	Get a channel with its members
//	@ID			getChannel
//	@Tags		channels
//	@Produce	json
//	@Param		id	path		string	true	"channel id (a UUID)"
//	@Success	200	{object}	ChannelResponse
//	@Failure	400	{object}	ErrorBody
//	@Failure	401	{object}	ErrorBody
//	@Failure	404	{object}	ErrorBody	"no such channel"
//	@Security	AdminToken
//	@Router		/admin/v1/channels/{id} [get]
func (h adminHandlers) getChannel(w http.ResponseWriter, r *http.Request) {
	if _, err := readQuery(r); err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	ch, err := h.admin.Channel(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	resp := ChannelResponse{ChannelSummaryResponse: toChannelSummary(ch.ChannelSummary), Members: make([]MemberResponse, 0, len(ch.Members))}
	for _, m := range ch.Members {
		resp.Members = append(resp.Members, MemberResponse{UserID: m.UserID, Name: m.Name, JoinedAt: protocol.FormatTime(m.JoinedAt), LastReadSeq: m.LastReadSeq})
	}
	writeJSON(w, http.StatusOK, resp)
}

// channelMessages godoc
//
//	@Summary		Read a channel's messages by seq
//	@Description	The same windows as the WebSocket get_messages: afterSeq (exclusive, ascending) or beforeSeq (exclusive, the newest page below it, still in ascending order); without either, from the first message. The two parameters exclude each other: a request with both is refused with 400 validation_failed.
//	@ID				listChannelMessages
//	@Tags			channels
//	@Produce		json
//	@Param			id			path		string	true	"channel id (a UUID)"
//	@Param			afterSeq	query		int		false	"return messages with seq above this"	minimum(0)
//	@Param			beforeSeq	query		int		false	"return the newest messages with seq below this"	minimum(1)
//	@Param			limit		query		int		false	"page size, 1 to 100"	default(50)	minimum(1)	maximum(100)
//	@Success		200			{object}	MessagesResponse
//	@Failure		400			{object}	ErrorBody	"bad_request (unknown parameter, not an integer) or validation_failed (afterSeq and beforeSeq together, which the windows exclude; out of range; U+0000 in the id)"
//	@Failure		401			{object}	ErrorBody
//	@Failure		404			{object}	ErrorBody	"no such channel"
//	@Security		AdminToken
//	@Router			/admin/v1/channels/{id}/messages [get]
func (h adminHandlers) channelMessages(w http.ResponseWriter, r *http.Request) {
	afterSeq, beforeSeq, limit, err := historyQuery(r)
	if err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	channelID := chi.URLParam(r, "id")
	msgs, more, err := h.admin.Messages(r.Context(), channelID, afterSeq, beforeSeq, limit)
	if err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	resp := MessagesResponse{ChannelID: channelID, Messages: make([]MessageResponse, 0, len(msgs)), HasMore: more}
	for _, m := range msgs {
		resp.ChannelID = m.ChannelID // the canonical form of the id
		resp.Messages = append(resp.Messages, toMessageResponse(m))
	}
	writeJSON(w, http.StatusOK, resp)
}

func historyQuery(r *http.Request) (afterSeq, beforeSeq *int64, limit *int, err error) {
	q, err := readQuery(r, "afterSeq", "beforeSeq", "limit")
	if err != nil {
		return nil, nil, nil, err
	}
	if afterSeq, err = q.int64("afterSeq"); err != nil {
		return nil, nil, nil, err
	}
	if beforeSeq, err = q.int64("beforeSeq"); err != nil {
		return nil, nil, nil, err
	}
	limit, err = q.int("limit")
	return afterSeq, beforeSeq, limit, err
}

func toMessageResponse(m domain.Message) MessageResponse {
	return MessageResponse{
		ID:              m.ID,
		ChannelID:       m.ChannelID,
		Seq:             m.Seq,
		SenderID:        m.SenderID,
		ClientMessageID: m.ClientMessageID,
		Body:            m.Body,
		Status:          string(m.Status),
		CreatedAt:       protocol.FormatTime(m.CreatedAt),
	}
}

// removeMember godoc
//
//	@Summary		Remove a member from a channel
//	@Description	Ends the membership as if the user had sent leave_channel: the user's live connections stop receiving the channel, the other members receive member_left, and the user can no longer read or send there.
//	@ID				removeChannelMember
//	@Tags			channels
//	@Param			id		path	string	true	"channel id (a UUID)"
//	@Param			userId	path	string	true	"user id of the member"
//	@Success		204
//	@Failure		400	{object}	ErrorBody
//	@Failure		401	{object}	ErrorBody
//	@Failure		404	{object}	ErrorBody	"no such channel, or the user is not a member"
//	@Security		AdminToken
//	@Router			/admin/v1/channels/{id}/members/{userId} [delete]
func (h adminHandlers) removeMember(w http.ResponseWriter, r *http.Request) {
	if _, err := readQuery(r); err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	if err := h.admin.RemoveMember(r.Context(), chi.URLParam(r, "id"), chi.URLParam(r, "userId")); err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

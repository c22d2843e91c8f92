package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/chatd/chat/application/admin"
	"github.com/chatd/chat/interfaces/protocol"
)

// ShardResponse is one database of the partitioned channel store.
type ShardResponse struct {
	ID string `json:"id" example:"s1"`
	// URL is where the shard is, its password hidden; absent for the directory's own database.
	URL    string `json:"url,omitempty" example:"postgres://chat_app@10.0.0.7:5432/chat"`
	Weight int    `json:"weight" example:"1"`
	// State is active (on the ring) or draining (giving its channels away, then leaving the map).
	State string `json:"state" enums:"active,draining" example:"active"`
	// Share is the fraction of the ring, so of the channels, the shard owns (0 to 1; active shards add up to 1).
	Share float64 `json:"share" example:"0.25"`
	// Channels is how many channels the directory places on the shard.
	Channels int64 `json:"channels" example:"2500"`
	// Messages is how many messages the shard holds: counted up to
	// 100,000, past that PostgreSQL's estimate (0 when unreachable).
	Messages  int64 `json:"messages" example:"120000"`
	Reachable bool  `json:"reachable" example:"true"`
} // @name ShardResponse

// ShardMoveResponse is a channel moving, or moved, between shards.
type ShardMoveResponse struct {
	ChannelID string `json:"channelId" example:"0b0e4f4e-5f5a-4d2b-9a57-2b8f3c1d9e10"`
	From      string `json:"from" example:"s1"`
	To        string `json:"to" example:"s4"`
	// FenceMs is how long sends to the channel waited (finished moves only).
	FenceMs float64 `json:"fenceMs,omitempty" example:"12.5"`
	// At is when the move finished (finished moves only).
	At string `json:"at,omitempty" example:"2026-12-07T12:00:00.000Z"`
} // @name ShardMoveResponse

// ShardsResponse is the shard map and its moves.
type ShardsResponse struct {
	Shards []ShardResponse `json:"shards"`
	// Moving are the moves in progress.
	Moving []ShardMoveResponse `json:"moving"`
	// MovesDone counts the moves the answering node's mover finished since it started; Recent lists the latest of them.
	MovesDone      int                 `json:"movesDone" example:"2500"`
	LongestFenceMs float64             `json:"longestFenceMs" example:"48.2"`
	Recent         []ShardMoveResponse `json:"recent"`
} // @name ShardsResponse

// AddShardRequest names a new, empty shard.
type AddShardRequest struct {
	ID string `json:"id" example:"s4"`
	// URL is the shard's PostgreSQL URL; leave it out in embedded mode to have the service create the database in its local cluster.
	URL string `json:"url,omitempty" example:"postgres://chat_app@10.0.0.9:5432/chat"`
	// Weight scales the shard's share of the ring (1 to 1000; default 1).
	Weight int `json:"weight,omitempty" minimum:"0" maximum:"1000" example:"1"`
} // @name AddShardRequest

// ShardWeightRequest sets a shard's weight.
type ShardWeightRequest struct {
	// Weight scales the shard's share of the ring (1 to 1000).
	Weight int `json:"weight" minimum:"1" maximum:"1000" example:"2"`
} // @name ShardWeightRequest

func toShardResponse(s admin.Shard) ShardResponse {
	return ShardResponse{ID: s.ID, URL: s.URL, Weight: s.Weight, State: s.State, Share: s.Share,
		Channels: s.Channels, Messages: s.Messages, Reachable: s.Reachable}
}

func toMoveResponse(m admin.ShardMove) ShardMoveResponse {
	out := ShardMoveResponse{ChannelID: m.ChannelID, From: m.From, To: m.To, FenceMs: float64(m.Fence.Microseconds()) / 1000}
	if !m.At.IsZero() {
		out.At = protocol.FormatTime(m.At)
	}
	return out
}

// listShards godoc
//
//	@Summary		List the database shards
//	@Description	The shards of the channel store with their state, share of the ring, channel and message counts, and the moves in progress and recently finished.
//	@ID				listShards
//	@Tags			shards
//	@Produce		json
//	@Success		200	{object}	ShardsResponse
//	@Failure		400	{object}	ErrorBody
//	@Failure		401	{object}	ErrorBody
//	@Failure		503	{object}	ErrorBody	"the directory database is unavailable"
//	@Security		AdminToken
//	@Router			/admin/v1/shards [get]
func (h adminHandlers) listShards(w http.ResponseWriter, r *http.Request) {
	if _, err := readQuery(r); err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	st, err := h.admin.Shards(r.Context())
	if err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	resp := ShardsResponse{Shards: []ShardResponse{}, Moving: []ShardMoveResponse{}, Recent: []ShardMoveResponse{},
		MovesDone: st.MovesDone, LongestFenceMs: float64(st.LongestFence.Microseconds()) / 1000}
	for _, s := range st.Shards {
		resp.Shards = append(resp.Shards, toShardResponse(s))
	}
	for _, m := range st.Moving {
		resp.Moving = append(resp.Moving, toMoveResponse(m))
	}
	for _, m := range st.Recent {
		resp.Recent = append(resp.Recent, toMoveResponse(m))
	}
	writeJSON(w, http.StatusOK, resp)
}

// addShard godoc
//
//	@Summary		Add a database shard
//	@Description	Puts a new, empty PostgreSQL database on the shard ring (the service migrates it first). The channels whose owner on the ring it becomes move to it online, a few at a time, each fenced for a moment; GET /admin/v1/shards shows the progress.
//	@ID				addShard
//	@Tags			shards
//	@Accept			json
//	@Produce		json
//	@Param			body	body		AddShardRequest	true	"id, url and weight of the new shard"
//	@Success		201		{object}	ShardResponse
//	@Failure		400		{object}	ErrorBody	"bad id or weight; a url that does not lead to a reachable PostgreSQL database chatd can migrate; or no url outside embedded mode"
//	@Failure		401		{object}	ErrorBody
//	@Failure		409		{object}	ErrorBody	"the id exists, or the database holds channels already"
//	@Failure		503		{object}	ErrorBody	"the directory is unreachable"
//	@Security		AdminToken
//	@Router			/admin/v1/shards [post]
func (h adminHandlers) addShard(w http.ResponseWriter, r *http.Request) {
	var req AddShardRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	sh, err := h.admin.AddShard(r.Context(), req.ID, req.URL, req.Weight)
	if err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	writeJSON(w, http.StatusCreated, toShardResponse(sh))
}

// drainShard godoc
//
//	@Summary		Drain a database shard
//	@Description	Takes the shard off the ring: its channels move to the others online, and once it holds none it leaves the map. The last active shard cannot be drained.
//	@ID				drainShard
//	@Tags			shards
//	@Param			id	path	string	true	"shard id"
//	@Success		202
//	@Failure		400	{object}	ErrorBody
//	@Failure		401	{object}	ErrorBody
//	@Failure		404	{object}	ErrorBody	"no such shard"
//	@Failure		409	{object}	ErrorBody	"the last active shard"
//	@Security		AdminToken
//	@Router			/admin/v1/shards/{id} [delete]
func (h adminHandlers) drainShard(w http.ResponseWriter, r *http.Request) {
	if _, err := readQuery(r); err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	if err := h.admin.DrainShard(r.Context(), chi.URLParam(r, "id")); err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// setShardWeight godoc
//
//	@Summary		Change a database shard's weight
//	@Description	Sets an active shard's weight, so its share of the ring (its weight over the total of the active shards). The channels whose owner on the ring changes move online, as when a shard is added: to the shard when its weight grew, away from it when it shrank. GET /admin/v1/shards shows the progress.
//	@ID				setShardWeight
//	@Tags			shards
//	@Accept			json
//	@Produce		json
//	@Param			id		path		string				true	"shard id"
//	@Param			body	body		ShardWeightRequest	true	"the new weight"
//	@Success		200		{object}	ShardResponse		"the shard as GET /admin/v1/shards lists it, with its new weight and share (reachable false, and no message count, when the shard does not answer)"
//	@Failure		400		{object}	ErrorBody			"a weight outside 1 to 1000"
//	@Failure		401		{object}	ErrorBody
//	@Failure		404		{object}	ErrorBody	"no such shard"
//	@Failure		409		{object}	ErrorBody	"the shard is draining"
//	@Failure		503		{object}	ErrorBody	"the directory is unreachable"
//	@Security		AdminToken
//	@Router			/admin/v1/shards/{id} [patch]
func (h adminHandlers) setShardWeight(w http.ResponseWriter, r *http.Request) {
	var req ShardWeightRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	sh, err := h.admin.SetShardWeight(r.Context(), chi.URLParam(r, "id"), req.Weight)
	if err != nil {
		writeError(w, r, h.logger, err)
		return
	}
	writeJSON(w, http.StatusOK, toShardResponse(sh))
}

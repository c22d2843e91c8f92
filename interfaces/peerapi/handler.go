// Package peerapi is the receiving end of node-to-node delivery: the
// internal endpoint where the fan-out router of another node hands this
// node the events its connected users must get (see application/fanout).
//
// It is not part of the public API: it sits on the same listener, behind
// the cluster's shared secret, and production deployments keep it off the
// public load balancer as well.
package peerapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/chatd/chat/domain"
)

// maxBodyBytes bounds one batch. A consumer batch is at most a few hundred
// events of a few hundred bytes; this leaves room without letting a
// holder of the secret exhaust memory.
const maxBodyBytes = 8 << 20

// Hub is where received events go: this node's delivery hub. Deliver may
// fail only when ctx ends.
type Hub interface {
	Deliver(ctx context.Context, events []domain.Event) error
}

// Decoder turns one encoded event back into an event
// (eventcodec.DecodeEvent).
type Decoder func(data []byte) (domain.Event, error)

// Handler accepts batches of events from other nodes.
type Handler struct {
	hub    Hub
	decode Decoder
	secret [sha256.Size]byte // hashed, so comparing takes the same time whatever the length
	log    *slog.Logger
}

// NewHandler returns the endpoint for nodes that hold secret.
func NewHandler(hub Hub, decode Decoder, secret string, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{hub: hub, decode: decode, secret: sha256.Sum256([]byte(secret)), log: log.With(slog.String("component", "peerapi"))}
}

// ServeHTTP takes a POST whose body is a JSON array of encoded events,
// all of which go to the hub in the order given. Answers: 204 taken, 401
// without the cluster secret, 400 for a body that is not such an array
// (nothing is delivered then), 413 for a body over 8 MiB, 503 when the
// node is stopping.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	if !h.authorized(r) {
		h.log.WarnContext(r.Context(), "refused events without the cluster secret", "remote", r.RemoteAddr)
		http.Error(w, "cluster secret required", http.StatusUnauthorized)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	var raw []json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "batch too large", http.StatusRequestEntityTooLarge)
			return
		}
		h.log.WarnContext(r.Context(), "refused a malformed batch", "remote", r.RemoteAddr, "err", err)
		http.Error(w, "body must be a JSON array of events", http.StatusBadRequest)
		return
	}
	events := make([]domain.Event, len(raw))
	for i, data := range raw {
		ev, err := h.decode(data)
		if err != nil {
			h.log.WarnContext(r.Context(), "refused a batch with an undecodable event", "remote", r.RemoteAddr, "index", i, "err", err)
			http.Error(w, "undecodable event", http.StatusBadRequest)
			return
		}
		events[i] = ev
	}
	if err := h.hub.Deliver(r.Context(), events); err != nil {
		http.Error(w, "stopping", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) authorized(r *http.Request) bool {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	sum := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(sum[:], h.secret[:]) == 1
}

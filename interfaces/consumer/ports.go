package consumer

import (
	"context"

	"github.com/chatd/chat/domain"
)

// Hub is where consumed events go: the node's delivery hub (*ws.Hub).
// Deliver must take a channel's events in the order given, and may fail
// only when ctx ends.
type Hub interface {
	Deliver(ctx context.Context, events []domain.Event) error
}

// Decoder turns a record's value back into the event it was published
// from (eventcodec.DecodeEvent).
type Decoder func(data []byte) (domain.Event, error)

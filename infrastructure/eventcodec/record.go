package eventcodec

import (
	"github.com/chatd/chat/domain"
)

// Record is one encoded event with what routing needs, read from the
// outbox's columns rather than from the JSON: the relay hands the stored
// bytes to the broker as they are, without decoding them only for the
// publisher to encode the same bytes again.
type Record struct {
	Type      domain.EventType
	ChannelID string // empty for an event of no channel (presence_changed)
	UserID    string // the user a channel-less event is about
	Data      []byte // EncodeEvent's JSON
}

// NewRecord encodes e as a Record, for callers that hold domain events.
func NewRecord(e domain.Event) (Record, error) {
	data, err := EncodeEvent(e)
	if err != nil {
		return Record{}, err
	}
	user := e.UserID
	if e.Presence != nil && e.Presence.UserID != "" {
		user = e.Presence.UserID
	}
	channel := e.ChannelID
	if e.Type == domain.EventPresenceChanged {
		channel = ""
	}
	return Record{Type: e.Type, ChannelID: channel, UserID: user, Data: data}, nil
}

// NewRecords encodes events in order.
func NewRecords(events []domain.Event) ([]Record, error) {
	records := make([]Record, 0, len(events))
	for _, e := range events {
		r, err := NewRecord(e)
		if err != nil {
			return nil, err
		}
		records = append(records, r)
	}
	return records, nil
}

// DecodeRecords decodes records in order, for sinks that deliver domain
// events in the same process.
func DecodeRecords(records []Record) ([]domain.Event, error) {
	events := make([]domain.Event, 0, len(records))
	for _, r := range records {
		e, err := DecodeEvent(r.Data)
		if err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	return events, nil
}

// Package eventcodec is the one encoding of domain events between the
// write path and delivery: the outbox's event column and the broker's
// message values. It is a format of its own, not the wire protocol.
package eventcodec

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/chatd/chat/domain"
)

// eventJSON is the encoding of a domain.Event. It is a format of its
// own, not the wire protocol: it carries what delivery needs (the channel's
// members for channel_created, the whole message for message_created) and
// may gain fields without breaking rows written by an older node.
type eventJSON struct {
	Type          domain.EventType `json:"type"`
	ChannelID     string           `json:"channelId"`
	OriginSession string           `json:"originSession,omitempty"`
	Channel       *channelJSON     `json:"channel,omitempty"`
	Message       *messageJSON     `json:"message,omitempty"`
	UserID        string           `json:"userId,omitempty"`
	Presence      *presenceJSON    `json:"presence,omitempty"`
	ChannelIDs    []string         `json:"channelIds,omitempty"`
	LastReadSeq   int64            `json:"lastReadSeq,omitempty"`
	Recipients    []string         `json:"recipients,omitempty"`
}

type presenceJSON struct {
	UserID      string                `json:"userId"`
	Status      domain.PresenceStatus `json:"status"`
	LastEventAt time.Time             `json:"lastEventAt"`
}

type channelJSON struct {
	ID        string             `json:"id"`
	Type      domain.ChannelType `json:"type"`
	Name      string             `json:"name,omitempty"`
	MemberIDs []string           `json:"memberIds"`
	LastSeq   int64              `json:"lastSeq"`
	CreatedAt time.Time          `json:"createdAt"`
}

type messageJSON struct {
	ID              string               `json:"id"`
	ChannelID       string               `json:"channelId"`
	SenderID        string               `json:"senderId"`
	ClientMessageID string               `json:"clientMessageId"`
	Body            string               `json:"body"`
	Seq             int64                `json:"seq"`
	Status          domain.MessageStatus `json:"status"`
	CreatedAt       time.Time            `json:"createdAt"`
	MemberVersion   int64                `json:"memberVersion,omitempty"`
}

// EncodeEvent turns an event into the JSON stored in the outbox's event
// column. Other adapters (a broker relay) reuse it so every hop speaks the
// same encoding.
func EncodeEvent(e domain.Event) ([]byte, error) {
	out := eventJSON{Type: e.Type, ChannelID: e.ChannelID, OriginSession: e.OriginSession, UserID: e.UserID,
		ChannelIDs: e.ChannelIDs, LastReadSeq: e.LastReadSeq, Recipients: e.Recipients}
	if p := e.Presence; p != nil {
		out.Presence = &presenceJSON{UserID: p.UserID, Status: p.Status, LastEventAt: p.LastEventAt.UTC()}
	}
	if c := e.Channel; c != nil {
		members := c.MemberIDs
		if members == nil {
			members = []string{}
		}
		out.Channel = &channelJSON{ID: c.ID, Type: c.Type, Name: c.Name, MemberIDs: members,
			LastSeq: c.LastSeq, CreatedAt: c.CreatedAt.UTC()}
	}
	if m := e.Message; m != nil {
		out.Message = &messageJSON{ID: m.ID, ChannelID: m.ChannelID, SenderID: m.SenderID,
			ClientMessageID: m.ClientMessageID, Body: m.Body, Seq: m.Seq, Status: m.Status,
			CreatedAt: m.CreatedAt.UTC(), MemberVersion: m.MemberVersion}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode %s event: %w", e.Type, err)
	}
	return b, nil
}

// DecodeEvent is the inverse of EncodeEvent. It refuses an event without a
// type, a channel event without a channel and a presence event without its
// presence, which no writer produces.
func DecodeEvent(data []byte) (domain.Event, error) {
	var in eventJSON
	if err := json.Unmarshal(data, &in); err != nil {
		return domain.Event{}, fmt.Errorf("decode event: %w", err)
	}
	switch {
	case in.Type == "":
		return domain.Event{}, fmt.Errorf("decode event: type is required")
	case in.Type == domain.EventPresenceChanged && in.Presence == nil:
		return domain.Event{}, fmt.Errorf("decode event: a presence event needs its presence")
	case in.Type != domain.EventPresenceChanged && in.ChannelID == "":
		return domain.Event{}, fmt.Errorf("decode event: a %s event needs its channelId", in.Type)
	}
	e := domain.Event{Type: in.Type, ChannelID: in.ChannelID, OriginSession: in.OriginSession, UserID: in.UserID,
		ChannelIDs: in.ChannelIDs, LastReadSeq: in.LastReadSeq, Recipients: in.Recipients}
	if p := in.Presence; p != nil {
		e.Presence = &domain.UserPresence{UserID: p.UserID, Status: p.Status, LastEventAt: p.LastEventAt.UTC()}
	}
	if c := in.Channel; c != nil {
		e.Channel = &domain.Channel{ID: c.ID, Type: c.Type, Name: c.Name, MemberIDs: c.MemberIDs,
			LastSeq: c.LastSeq, CreatedAt: c.CreatedAt.UTC()}
	}
	if m := in.Message; m != nil {
		e.Message = &domain.Message{ID: m.ID, ChannelID: m.ChannelID, SenderID: m.SenderID,
			ClientMessageID: m.ClientMessageID, Body: m.Body, Seq: m.Seq, Status: m.Status,
			CreatedAt: m.CreatedAt.UTC(), MemberVersion: m.MemberVersion}
	}
	return e, nil
}

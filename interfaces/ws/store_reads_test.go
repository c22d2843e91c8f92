package ws

import (
	"context"

	"github.com/chatd/chat/domain"
)

// MarkRead keeps read positions in the channels' ReadState, with the
// rules of chat_mark_read: clamped to LastSeq, only growing.
func (st *memStore) MarkRead(_ context.Context, actor domain.Actor, channelID string, seq int64) (int64, error) {
	st.mu.Lock()
	ch, err := st.memberChannel(actor.UserID, channelID)
	if err != nil {
		st.mu.Unlock()
		return 0, err
	}
	next := min(seq, ch.LastSeq)
	for i, r := range ch.ReadState {
		if r.UserID != actor.UserID {
			continue
		}
		if next <= r.LastReadSeq {
			st.mu.Unlock()
			return r.LastReadSeq, nil
		}
		ch.ReadState[i].LastReadSeq = next
		st.commit(domain.Event{Type: domain.EventReadUpdated, ChannelID: channelID, UserID: actor.UserID,
			LastReadSeq: next, OriginSession: actor.SessionID})
		return next, nil
	}
	ch.ReadState = append(ch.ReadState, domain.ReadPosition{UserID: actor.UserID, LastReadSeq: next})
	st.commit(domain.Event{Type: domain.EventReadUpdated, ChannelID: channelID, UserID: actor.UserID,
		LastReadSeq: next, OriginSession: actor.SessionID})
	return next, nil
}

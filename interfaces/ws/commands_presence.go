package ws

import (
	"context"

	"github.com/chatd/chat/application/presence"
	"github.com/chatd/chat/interfaces/protocol"
)

// heartbeat applies a heartbeat of this connection. Closing a connection
// tells presence nothing: a dropped connection alone changes no status,
// and the tracker forgets a silent connection once the timeout has passed.
func (c *commands) heartbeat(ctx context.Context, s *session, p protocol.Heartbeat) (string, any, error) {
	now, err := c.presence.Heartbeat(ctx, s.actor(), presence.HeartbeatInput{UserID: p.UserID, Status: p.Status})
	if err != nil {
		return "", nil, err
	}
	return protocol.TypeHeartbeatAck, protocol.HeartbeatAck{ServerTime: protocol.Time(now)}, nil
}

// getPresence answers the bulk presence lookup a client makes on connect.
func (c *commands) getPresence(ctx context.Context, s *session, p protocol.GetPresence) (string, any, error) {
	list, err := c.presence.Presences(ctx, s.user.ID, p.UserIDs)
	if err != nil {
		return "", nil, err
	}
	return protocol.TypePresence, protocol.NewPresence(list), nil
}

package ws

import (
	"log/slog"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
	"github.com/chatd/chat/interfaces/wsconn"
)

// session is one WebSocket connection of one user: who it is, its
// connection (wsconn.Conn: the bounded frame queue, the flusher and the
// reader), and the Hub's routing state for it.
type session struct {
	id   string // "s-<uuid>", sent in ready and written as OriginSession
	user domain.User
	// expiresAt is when the token the connection was opened with expires
	// (zero: never, in Hub tests); the connection ends then with 4001.
	expiresAt time.Time

	// conn exists before the upgrade, so the Hub may queue frames (and
	// close) while the session joins; in Hub tests it is never upgraded
	// and frames wait in its queue.
	conn *wsconn.Conn
	// pipe runs the session's commands concurrently (pipeline.go).
	pipe *pipeline

	// Routing state, guarded by the Hub's mutex.
	live    bool               // registered in the hub
	joining bool               // registered, ready not yet queued
	backlog []domain.Event     // events seen while joining
	early   [][]byte           // frames for the client while joining
	subs    map[string]*cursor // channel id -> position
}

func newSession(user domain.User, queueSize int) *session {
	return &session{
		id:   "s-" + uuid.NewString(),
		user: user,
		conn: wsconn.New(queueSize),
		pipe: newPipeline(),
		subs: make(map[string]*cursor),
	}
}

// enqueue queues a frame for the client without waiting and reports false
// when the queue is full.
func (s *session) enqueue(frame []byte) bool { return s.conn.Enqueue(frame) }

// actor is who this session's commands act as.
func (s *session) actor() domain.Actor {
	return domain.Actor{UserID: s.user.ID, SessionID: s.id}
}

// enqueueReply queues the reply to one of the client's commands.
func (s *session) enqueueReply(frame []byte) bool { return s.conn.EnqueueReply(frame) }

// close closes the connection with code; the first code wins.
func (s *session) close(code protocol.CloseCode, reason string) {
	s.conn.Close(websocket.StatusCode(code), reason)
}

// closeStatus is the code and reason the session was closed with (code -1
// while it is not).
func (s *session) closeStatus() (protocol.CloseCode, string) {
	code, reason := s.conn.CloseStatus()
	return protocol.CloseCode(code), reason
}

// LogValue names the session in the connection's own log lines.
func (s *session) LogValue() slog.Value {
	return slog.GroupValue(slog.String("session", s.id), slog.String("user", s.user.ID))
}

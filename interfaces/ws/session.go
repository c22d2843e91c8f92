package ws

import (
	"sync"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
)

// session is one WebSocket connection of one user. Frames for the client
// go through a bounded queue drained by a single writer, so whoever
// produces a frame (the Hub, the session's own reader) never waits for the
// network.
type session struct {
	id   string // "s-<uuid>", sent in ready and written as OriginSession
	user domain.User

	out       chan []byte
	closing   chan struct{}
	closeOnce sync.Once
	// closeCode and closeReason are written once, before closing is closed.
	closeCode   protocol.CloseCode
	closeReason string

	connMu sync.Mutex
	conn   *websocket.Conn

	// Routing state, guarded by the Hub's mutex.
	live    bool               // registered in the hub
	joining bool               // registered, ready not yet queued
	backlog []domain.Event     // events seen while joining
	early   [][]byte           // frames for the client while joining
	subs    map[string]*cursor // channel id -> position
}

func newSession(user domain.User, queueSize int) *session {
	return &session{
		id:      "s-" + uuid.NewString(),
		user:    user,
		out:     make(chan []byte, queueSize),
		closing: make(chan struct{}),
		subs:    make(map[string]*cursor),
	}
}

// enqueue queues a frame without waiting and reports false when the queue
// is full.
func (s *session) enqueue(frame []byte) bool {
	select {
	case s.out <- frame:
		return true
	default:
		return false
	}
}

// close asks the writer to close the connection with code. The first call
// wins: a session dropped as a slow consumer stays 4008 even if shutdown
// comes next.
func (s *session) close(code protocol.CloseCode, reason string) {
	s.closeOnce.Do(func() {
		s.closeCode, s.closeReason = code, reason
		close(s.closing)
	})
}

// attach records the upgraded connection so that abort can reach it.
func (s *session) attach(conn *websocket.Conn) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	s.conn = conn
}

// abort drops the connection without a close handshake, for when a
// graceful close did not finish in time.
func (s *session) abort() {
	s.connMu.Lock()
	conn := s.conn
	s.connMu.Unlock()
	if conn != nil {
		_ = conn.CloseNow() // already closed is fine: we only want it gone
	}
}

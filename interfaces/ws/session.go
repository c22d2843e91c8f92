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
//
// The queue is a slice that grows on demand up to its bound instead of a
// channel allocated at full size: most connections are idle most of the
// time, and 256 empty slots cost 6 KB each.
type session struct {
	id   string // "s-<uuid>", sent in ready and written as OriginSession
	user domain.User

	queueMu    sync.Mutex
	queue      [][]byte      // frames waiting for the writer, oldest first
	inHand     int           // frames the writer has taken and not yet written
	queueBound int           // most frames queue and inHand may hold together
	wake       chan struct{} // capacity 1: the queue has frames for the writer
	closing    chan struct{}
	closeOnce  sync.Once
	// closeCode and closeReason are written once, before closing is closed.
	closeCode   protocol.CloseCode
	closeReason string

	connMu sync.Mutex
	conn   *websocket.Conn
	cork   *corkConn // under conn when upgraded through corking

	// Routing state, guarded by the Hub's mutex.
	live    bool               // registered in the hub
	joining bool               // registered, ready not yet queued
	backlog []domain.Event     // events seen while joining
	early   [][]byte           // frames for the client while joining
	subs    map[string]*cursor // channel id -> position
}

func newSession(user domain.User, queueSize int) *session {
	return &session{
		id:         "s-" + uuid.NewString(),
		user:       user,
		queueBound: queueSize,
		wake:       make(chan struct{}, 1),
		closing:    make(chan struct{}),
		subs:       make(map[string]*cursor),
	}
}

// minQueueCap is the first capacity a queue grows to.
const minQueueCap = 8

// enqueue queues a frame without waiting and reports false when the queue
// is full. Full means queueBound frames wait beyond the one frame being
// written; a batch the writer has taken counts, but for that one frame,
// until it is written.
func (s *session) enqueue(frame []byte) bool {
	s.queueMu.Lock()
	if len(s.queue)+max(s.inHand-1, 0) >= s.queueBound {
		s.queueMu.Unlock()
		return false
	}
	if len(s.queue) == cap(s.queue) {
		grown := make([][]byte, len(s.queue), min(max(2*cap(s.queue), minQueueCap), s.queueBound))
		copy(grown, s.queue)
		s.queue = grown
	}
	s.queue = append(s.queue, frame)
	s.queueMu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default: // a wake is pending; the writer will take this frame too
	}
	return true
}

// take hands the writer every queued frame, oldest first, and gives the
// session spare (emptied) as its next queue. The frames count against the
// bound until done.
func (s *session) take(spare [][]byte) [][]byte {
	s.queueMu.Lock()
	defer s.queueMu.Unlock()
	frames := s.queue
	s.queue = spare[:0]
	s.inHand = len(frames)
	return frames
}

// done tells the session that the frames taken last are written.
func (s *session) done() {
	s.queueMu.Lock()
	defer s.queueMu.Unlock()
	s.inHand = 0
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

// isClosing reports whether close was called.
func (s *session) isClosing() bool {
	select {
	case <-s.closing:
		return true
	default:
		return false
	}
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

package ws

import (
	"bufio"
	"log/slog"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
)

// session is one WebSocket connection of one user. Frames for the client
// go through a bounded queue, so whoever produces a frame (the Hub, the
// session's own reader) never waits for the network.
//
// An idle connection costs one goroutine, its reader. Writing needs a
// goroutine only while frames wait: the first frame queued on an empty
// queue starts a flusher (session_conn.go), which writes until the queue is
// empty and ends. Most connections are idle most of the time, and a writer
// goroutine parked on each of them cost a stack of 4 KB or more.
//
// The queue is a slice that grows on demand up to its bound instead of a
// channel allocated at full size: 256 empty slots cost 6 KB.
type session struct {
	id   string // "s-<uuid>", sent in ready and written as OriginSession
	user domain.User
	// expiresAt is when the token the connection was opened with expires
	// (zero: never, in Hub tests); the connection ends then with 4001.
	expiresAt time.Time

	mu         sync.Mutex
	queue      [][]byte // frames waiting for the flusher, oldest first
	inHand     int      // frames the flusher has taken and not yet written
	queueBound int      // most frames queue and inHand may hold together
	// flushing is true while a flusher runs, and for good once one has
	// closed the connection, so that there is never more than one.
	flushing bool
	// holdReplies is true while a pool worker runs the client's commands
	// (session_conn.go): their replies wait for the worker to write them
	// all at once instead of each starting a flusher.
	holdReplies bool
	// conn, writeTimeout and log are set once, by attach, when the
	// connection is upgraded; cork just before, by the upgrade's Hijack.
	// Before that (and in Hub tests, always) no flusher starts and frames
	// wait in the queue.
	conn *websocket.Conn
	cork *corkConn
	// rd is the buffered reader under conn, set with cork. Only whoever
	// reads conn looks at it, and only under peekMu (session_batch.go).
	rd *bufio.Reader
	// ahead is under rd when the connection allows it (session_readahead.go);
	// nil otherwise. The same rule as for rd applies.
	ahead        *readAhead
	peekMu       sync.Mutex
	writeTimeout time.Duration
	log          *slog.Logger

	closing   chan struct{}
	closeOnce sync.Once
	// closeCode and closeReason are written once, before closing is closed.
	closeCode   protocol.CloseCode
	closeReason string
	// closed is closed when the flusher has closed the connection.
	closed chan struct{}

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
		closing:    make(chan struct{}),
		closed:     make(chan struct{}),
		subs:       make(map[string]*cursor),
	}
}

// minQueueCap is the first capacity a queue grows to.
const minQueueCap = 8

// actor is who this session's commands act as.
func (s *session) actor() domain.Actor {
	return domain.Actor{UserID: s.user.ID, SessionID: s.id}
}

// enqueue queues a frame without waiting and reports false when the queue
// is full. Full means queueBound frames wait beyond the one frame being
// written; a batch the flusher has taken counts, but for that one frame,
// until it is written.
func (s *session) enqueue(frame []byte) bool {
	return s.push(frame, false)
}

// enqueueReply queues the reply to a client's command like enqueue, but
// while the session's commands run on a worker (holdReplies) it leaves the
// writing to that worker, which writes every reply of the frames it read
// together in one write(2).
func (s *session) enqueueReply(frame []byte) bool {
	return s.push(frame, true)
}

func (s *session) push(frame []byte, reply bool) bool {
	ok, start := s.pushLater(frame, reply)
	if start {
		go s.flush()
	}
	return ok
}

// pushLater queues frame like push but leaves starting the flusher to the
// caller: start is true when the caller must run go s.flush(). The Hub
// queues a whole batch of events before it starts any flusher, so that a
// session gets all its frames of the batch in one write(2).
func (s *session) pushLater(frame []byte, reply bool) (ok, start bool) {
	s.mu.Lock()
	if len(s.queue)+max(s.inHand-1, 0) >= s.queueBound {
		s.mu.Unlock()
		return false, false
	}
	if len(s.queue) == cap(s.queue) {
		grown := make([][]byte, len(s.queue), min(max(2*cap(s.queue), minQueueCap), s.queueBound))
		copy(grown, s.queue)
		s.queue = grown
	}
	s.queue = append(s.queue, frame)
	start = !(reply && s.holdReplies) && s.startFlushLocked()
	s.mu.Unlock()
	return true, start
}

// startFlushLocked reports whether the caller must start a flusher: the
// session is upgraded and none runs. The caller starts it after unlocking.
func (s *session) startFlushLocked() bool {
	if s.conn == nil || s.flushing {
		return false
	}
	s.flushing = true
	return true
}

// take hands the flusher every queued frame, oldest first, and gives the
// session spare (emptied) as its next queue. The frames count against the
// bound until done.
func (s *session) take(spare [][]byte) [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	frames := s.queue
	s.queue = spare[:0]
	s.inHand = len(frames)
	return frames
}

// done tells the session that the frames taken last are written.
func (s *session) done() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inHand = 0
}

// stopFlush ends the flusher unless a frame or a close came in since it
// last looked. It decides under the lock that enqueue and close check, so
// either the flusher sees the new work or its producer starts a new one.
// The emptied queue is dropped: an idle session keeps no slots.
func (s *session) stopFlush() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) > 0 || s.isClosing() {
		return false
	}
	s.queue = nil
	s.flushing = false
	return true
}

// close asks the flusher to close the connection with code, starting one
// if none runs. The first call wins: a session dropped as a slow consumer
// stays 4008 even if shutdown comes next.
func (s *session) close(code protocol.CloseCode, reason string) {
	s.closeOnce.Do(func() {
		s.closeCode, s.closeReason = code, reason
		close(s.closing)
		s.mu.Lock()
		start := s.startFlushLocked()
		s.mu.Unlock()
		if start {
			go s.flush()
		}
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

// attach records the upgraded connection and what the flusher needs to
// write to it, and starts a flusher for anything that came before (a close
// requested during the upgrade).
func (s *session) attach(conn *websocket.Conn, writeTimeout time.Duration, log *slog.Logger) {
	s.mu.Lock()
	s.conn, s.writeTimeout, s.log = conn, writeTimeout, log
	start := (len(s.queue) > 0 || s.isClosing()) && s.startFlushLocked()
	s.mu.Unlock()
	if start {
		go s.flush()
	}
}

// abort drops the connection without a close handshake, for when a
// graceful close did not finish in time.
func (s *session) abort() {
	s.mu.Lock()
	conn := s.conn
	s.mu.Unlock()
	if conn != nil {
		_ = conn.CloseNow() // already closed is fine: we only want it gone
	}
}

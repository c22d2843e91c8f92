package ws

import (
	"log/slog"
	"sync"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
)

// maxBacklog bounds the events a session collects between registering and
// sending ready (one database round trip). It is large because every event
// of the node lands there: the session does not know its channels yet.
const maxBacklog = 4096

const slowConsumerReason = "slow consumer: reconnect and catch up with get_messages"

// gapReason closes a session whose stream waited too long for a missing
// seq (see maxHeld).
const gapReason = "delivery fell behind: reconnect and catch up with get_messages"

// Hub is the node-local registry of live sessions, by user and by
// subscribed channel, and the place where committed events become frames.
//
// One mutex guards all routing state. Deliver holds it only to enqueue, and
// enqueueing never blocks, so the lock is never held across network I/O.
type Hub struct {
	log *slog.Logger

	mu      sync.Mutex
	joining map[*session]struct{}
	users   map[string]map[*session]struct{}
	// channels maps a channel to its subscribed sessions, each with its
	// cursor there (the same one as in the session's subs), so fan-out to
	// a channel finds both without a lookup per session.
	channels map[string]map[*session]*cursor
	// gapped holds the sessions some of whose cursors hold messages back
	// for a missing seq, for closeStalled.
	gapped map[*session]struct{}
	// delivering is true while Deliver routes a batch; the sessions whose
	// flusher must start collect in starts until the batch is queued.
	delivering bool
	starts     []*session
}

// NewHub returns an empty hub.
func NewHub(log *slog.Logger) *Hub {
	if log == nil {
		log = slog.Default()
	}
	return &Hub{
		log:      log,
		joining:  make(map[*session]struct{}),
		users:    make(map[string]map[*session]struct{}),
		channels: make(map[string]map[*session]*cursor),
		gapped:   make(map[*session]struct{}),
	}
}

// register adds a session that is about to read its channel list. From now
// on it collects every delivered event, so that nothing committed between
// reading the list and subscribing is lost.
func (h *Hub) register(s *session) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s.live, s.joining = true, true
	h.joining[s] = struct{}{}
}

// activate subscribes a registered session to channels (the user's list,
// read after register), queues ready as its first frame, and then the
// frames of the events it collected meanwhile, filtered like any others.
// ready lists the channels still subscribed after those events (a leave on
// another device may have removed one). It reports false if the session
// was dropped before it could start.
func (h *Hub) activate(s *session, channels []domain.Channel, ready func([]domain.Channel) ([]byte, error)) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !s.live {
		return false
	}
	delete(h.joining, s)
	addTo(h.users, s.user.ID, s, struct{}{})
	for _, ch := range channels {
		h.subscribeLocked(s, ch.ID, ch.LastSeq)
	}
	backlog := s.backlog
	s.backlog = nil
	for _, ev := range backlog {
		h.route(ev, s)
	}
	kept := make([]domain.Channel, 0, len(channels))
	for _, ch := range channels {
		if _, ok := s.subs[ch.ID]; ok {
			kept = append(kept, ch)
		}
	}
	frame, err := ready(kept)
	if err != nil {
		h.log.Error("encode ready", "session", s.id, "user", s.user.ID, "err", err)
		h.dropLocked(s, protocol.CloseInternalError, "internal error; reconnect")
		return false
	}
	early := s.early
	s.joining, s.early = false, nil
	for _, f := range append([][]byte{frame}, early...) {
		if !s.enqueue(f) {
			h.dropLocked(s, protocol.CloseSlowConsumer, slowConsumerReason)
			return false
		}
	}
	return true
}

// remove forgets a session; later events no longer reach it.
func (h *Hub) remove(s *session) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.removeLocked(s)
}

// subscribe starts the channel's stream for one session from lastSeq, for
// the direct replies to create_channel and join_channel, so the stream
// starts at once even before the relay delivers the event. A session that
// is subscribed already keeps its position: raising it to lastSeq could
// skip messages that are committed but still on their way.
func (h *Hub) subscribe(s *session, channelID string, lastSeq int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.live && !s.joining {
		h.subscribeLocked(s, channelID, lastSeq)
	}
}

// unsubscribeUser ends the channel's stream for every session of a user,
// for the direct reply to leave_channel: after channel_left, nothing more
// of the channel reaches any of the user's connections on this node.
func (h *Hub) unsubscribeUser(userID, channelID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.users[userID] {
		h.unsubscribeLocked(s, channelID)
	}
}

// recordSent notes that the session got message seq of the channel as
// message_sent, so the same message never reaches it as message_received.
func (h *Hub) recordSent(s *session, channelID string, seq int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if cur, ok := s.subs[channelID]; ok && s.live {
		cur.recordReply(seq)
	}
}

// drop closes a session whose queue overflowed on the reply path.
func (h *Hub) drop(s *session, code protocol.CloseCode, reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.dropLocked(s, code, reason)
}

// sessionCount reports how many sessions a user has; tests wait on it.
func (h *Hub) sessionCount(userID string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.users[userID])
}

func (h *Hub) subscribeLocked(s *session, channelID string, lastSeq int64) (added bool) {
	if _, ok := s.subs[channelID]; ok {
		return false
	}
	cur := &cursor{high: lastSeq}
	s.subs[channelID] = cur
	addTo(h.channels, channelID, s, cur)
	return true
}

func (h *Hub) unsubscribeLocked(s *session, channelID string) {
	delete(s.subs, channelID)
	removeFrom(h.channels, channelID, s)
}

// sendLocked queues a frame for a session; while it is joining, the frame
// waits until ready is queued. A full queue drops the session.
func (h *Hub) sendLocked(s *session, frame []byte) {
	h.queueLocked(s, frame, false)
}

// sendDueLocked queues what a cursor let through: the message that came,
// then the ones it had held back until that one came. The held ones were
// in memory already (at most maxHeld) and arrive in a burst that says
// nothing of how the client reads, so they do not count against the
// queue's bound, neither now nor while the client reads them
// (wsconn.EnqueueLaterReleased): a gap that a primary's failover kept open
// for seconds used to close readers that were fine with 4008, first by the
// burst itself, then by the first live message after it.
func (h *Hub) sendDueLocked(s *session, due [][]byte) {
	for i, f := range due {
		h.queueLocked(s, f, i > 0)
	}
}

// queueLocked queues frame while the queue's bound allows; past it the
// session is dropped as a slow consumer. released frames (held back, now
// let through) are always queued and do not count against the bound.
func (h *Hub) queueLocked(s *session, frame []byte, released bool) {
	if s.joining {
		s.early = append(s.early, frame)
		return
	}
	var ok, start bool
	if released {
		ok, start = s.conn.EnqueueLaterReleased(frame)
	} else {
		ok, start = s.conn.EnqueueLater(frame)
	}
	switch {
	case !ok:
		h.dropLocked(s, protocol.CloseSlowConsumer, slowConsumerReason)
	case !start:
	case h.delivering:
		h.starts = append(h.starts, s) // unlockBatch starts it
	default:
		s.conn.Flush()
	}
}

func (h *Hub) dropLocked(s *session, code protocol.CloseCode, reason string) {
	if s.live && code == protocol.CloseSlowConsumer {
		h.log.Info("closing slow consumer", "session", s.id, "user", s.user.ID, "queue", s.conn.QueueBound())
	}
	h.removeLocked(s)
	s.close(code, reason)
}

func (h *Hub) removeLocked(s *session) {
	if !s.live {
		return
	}
	s.live = false
	delete(h.joining, s)
	delete(h.gapped, s)
	removeFrom(h.users, s.user.ID, s)
	for channelID := range s.subs {
		h.unsubscribeLocked(s, channelID)
	}
	s.backlog, s.early = nil, nil
}

func addTo[V any](index map[string]map[*session]V, key string, s *session, v V) {
	set, ok := index[key]
	if !ok {
		set = make(map[*session]V)
		index[key] = set
	}
	set[s] = v
}

func removeFrom[V any](index map[string]map[*session]V, key string, s *session) {
	if set, ok := index[key]; ok {
		delete(set, s)
		if len(set) == 0 {
			delete(index, key)
		}
	}
}

package ws

import (
	"context"
	"log/slog"
	"time"

	"github.com/chatd/chat/interfaces/protocol"
)

// timeoutReason is the close reason of a connection closed for silence.
const timeoutReason = "session timed out; reconnect"

// SweepInterval is how often, at most, connections are checked: a
// connection outlives its token, or its silence limit, by at most this
// much (less with a short heartbeat interval: a quarter of it).
const SweepInterval = time.Second

// Sweeper closes the connections that must not stay open: one whose token
// has expired, with 4001 (a token is checked when a connection opens, and
// the connection must not outlive it), and one whose client has gone
// silent, with 4009 (protocol: no frame for 3 heartbeat intervals; and a
// frame whose header has arrived must arrive whole within one interval,
// so a header announcing a huge length followed by nothing does not hold
// the connection), and one whose stream has waited too long for a missing
// seq, with 4008 (HoldLimit). One sweep over the hub's sessions per tick costs far
// less than a timer per connection, memory that every idle connection
// would hold.
type Sweeper struct {
	hub       *Hub
	heartbeat time.Duration
	interval  time.Duration
	now       func() time.Time
	log       *slog.Logger
}

// NewSweeper returns the sweep over hub for clients told to heartbeat
// every heartbeatInterval (DefaultHeartbeatInterval when zero).
func NewSweeper(hub *Hub, heartbeatInterval time.Duration, log *slog.Logger) *Sweeper {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if heartbeatInterval <= 0 {
		heartbeatInterval = DefaultHeartbeatInterval
	}
	return &Sweeper{
		hub:       hub,
		heartbeat: heartbeatInterval,
		interval:  min(SweepInterval, heartbeatInterval/4),
		now:       time.Now,
		log:       log.With(slog.String("component", "session_sweep")),
	}
}

// Run sweeps until ctx ends.
func (w *Sweeper) Run(ctx context.Context) error {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			now := w.now()
			if n := w.hub.closeExpired(now); n > 0 {
				w.log.DebugContext(ctx, "closed connections whose token expired", "connections", n)
			}
			if n := w.hub.closeSilent(now, w.heartbeat); n > 0 {
				w.log.DebugContext(ctx, "closed silent connections", "connections", n)
			}
			w.hub.closeStalled(now, HoldLimit)
		}
	}
}

// closeSilent closes, with 4009, every session from which nothing whole
// has arrived for 3 heartbeat intervals, or whose current message started
// arriving more than one interval ago, and reports how many.
func (h *Hub) closeSilent(now time.Time, heartbeat time.Duration) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	var silent []*session
	check := func(s *session) {
		idle, stalled := s.conn.Silence(now)
		if idle >= 3*heartbeat || stalled >= heartbeat {
			silent = append(silent, s)
		}
	}
	for _, sessions := range h.users {
		for s := range sessions {
			check(s)
		}
	}
	for s := range h.joining {
		check(s)
	}
	for _, s := range silent {
		h.dropLocked(s, protocol.CloseSessionTimeout, timeoutReason)
	}
	return len(silent)
}

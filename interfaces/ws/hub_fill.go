package ws

import (
	"context"
	"log/slog"
	"time"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
	"github.com/chatd/chat/retry"
)

// The gap filler's timing. A later seq that arrived first is normally
// followed within milliseconds by the earlier one (another node's live
// copy, or a commit published a moment later); a gap that lasts FillAfter
// means that copy is not coming (its node died between commit and
// delivery) and the durable path may take seconds (a rebalance, a slow
// broker), so the node reads the missing messages from the database.
const (
	FillAfter    = time.Second
	fillInterval = 250 * time.Millisecond
	fillTimeout  = 5 * time.Second
)

// History reads a channel's messages as a user (*chat.Service): the same
// read, under the same row-level security, as a client's get_messages.
type History interface {
	Messages(ctx context.Context, actor domain.Actor, channelID string, page domain.Page) ([]domain.Message, bool, error)
}

// GapFiller fills the gaps of this node's streams from the database: for
// every session whose stream has held messages back for FillAfter, it
// reads the missing seqs as the session's user and offers them to the
// user's stalled sessions, which then send them and what they held, in
// order. The durable path's copies, when they come, are repeats.
type GapFiller struct {
	hub     *Hub
	history History
	log     *slog.Logger
	edge    *retry.Edge
}

// NewGapFiller returns the filler of hub's streams.
func NewGapFiller(hub *Hub, history History, log *slog.Logger) *GapFiller {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With(slog.String("component", "gap_filler"))
	return &GapFiller{hub: hub, history: history, log: log, edge: retry.NewEdge(log, slog.LevelWarn, "reading missing messages")}
}

// Run fills gaps until ctx ends.
func (g *GapFiller) Run(ctx context.Context) error {
	t := time.NewTicker(fillInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			g.fillOnce(ctx, now)
		}
	}
}

// fillOnce reads one page of every gap stalled at now.
func (g *GapFiller) fillOnce(ctx context.Context, now time.Time) {
	for _, gap := range g.hub.stalledGaps(now, FillAfter) {
		rctx, cancel := context.WithTimeout(ctx, fillTimeout)
		page := domain.Page{AfterSeq: gap.after, Limit: int(min(gap.before-gap.after-1, domain.MaxPageLimit))}
		msgs, _, err := g.history.Messages(rctx, gap.actor, gap.channelID, page)
		cancel()
		if err != nil {
			// The session may have left the channel meanwhile, or the
			// database is away: the durable path, or the hold limit, ends
			// the gap then.
			if ctx.Err() == nil {
				g.edge.Fail(ctx, err, slog.String("channel", gap.channelID), slog.String("user", gap.actor.UserID))
			}
			continue
		}
		g.edge.OK(ctx)
		if len(msgs) > 0 {
			// Rare (a node died between commit and live send), and worth
			// knowing when it happens.
			g.log.InfoContext(ctx, "filled a gap in live delivery from the database",
				"channel", gap.channelID, "user", gap.actor.UserID, "after_seq", gap.after, "messages", len(msgs))
		}
		g.hub.fill(gap, msgs)
	}
}

// gap is the run one user's sessions miss in one channel: the seqs after
// after and before before.
type gap struct {
	channelID string
	actor     domain.Actor
	after     int64
	before    int64
}

// stalledGaps lists, per channel and user, the gap of the sessions whose
// stream has held messages back without progress for at least wait: from
// the lowest position of those sessions to the highest first held seq.
func (h *Hub) stalledGaps(now time.Time, wait time.Duration) []gap {
	h.mu.Lock()
	defer h.mu.Unlock()
	type key struct{ channel, user string }
	byKey := make(map[key]*gap)
	var order []key
	for s := range h.gapped {
		for channelID, cur := range s.subs {
			first, ok := cur.firstHeld()
			if !ok || now.Sub(cur.stalled) < wait {
				continue
			}
			k := key{channelID, s.user.ID}
			g, seen := byKey[k]
			if !seen {
				g = &gap{channelID: channelID, actor: s.actor(), after: cur.high, before: first}
				byKey[k] = g
				order = append(order, k)
			}
			g.after, g.before = min(g.after, cur.high), max(g.before, first)
		}
	}
	gaps := make([]gap, 0, len(order))
	for _, k := range order {
		gaps = append(gaps, *byKey[k])
	}
	return gaps
}

// fill offers messages read for gap to the user's sessions that hold
// messages back in the channel, and sends what is then due, batched like
// Deliver's frames.
func (h *Hub) fill(g gap, msgs []domain.Message) {
	h.mu.Lock()
	h.delivering = true
	defer h.unlockBatch()
	now := time.Now()
	for _, msg := range msgs {
		var frame []byte
		for s := range h.users[g.actor.UserID] {
			cur, ok := s.subs[g.channelID]
			if !ok || cur.holding() == 0 || !cur.wants(msg.Seq) {
				continue
			}
			if frame == nil {
				if frame, ok = h.encode(protocol.TypeMessageReceived, protocol.NewMessage(msg)); !ok {
					break
				}
			}
			// A message of the session's own was answered with
			// message_sent; its reply, if remembered, makes the cursor
			// skip it.
			due, full := cur.offer(msg.Seq, frame, now)
			if full {
				h.dropLocked(s, protocol.CloseSlowConsumer, gapReason)
				continue
			}
			h.sendDueLocked(s, due)
		}
	}
}

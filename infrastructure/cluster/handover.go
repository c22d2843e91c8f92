package cluster

import (
	"sync"
	"time"
)

// handoverMargin is how much longer than the migration grace a replaced
// view keeps receiving events. The old owner closes a moved user's
// connections when its own grace ends; the routers, which saw the same
// ring change a few milliseconds earlier or later, must still be sending
// to it until then, or events would reach neither the closing connection
// nor, yet, a new one.
const handoverMargin = 5 * time.Second

// handover remembers the views that ring changes replaced, each until its
// window ends. While a view is remembered, the owner it names for a user
// still gets that user's events: the user's connections are still open
// there until the old owner closes them.
type handover struct {
	window time.Duration

	mu  sync.Mutex
	old []replacedView // oldest first
}

type replacedView struct {
	view  *View
	until time.Time
}

// replaced records that view stopped being current at now.
func (h *handover) replaced(view *View, now time.Time) {
	if h.window <= 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pruneLocked(now)
	h.old = append(h.old, replacedView{view: view, until: now.Add(h.window)})
}

// views returns the replaced views whose window has not ended at now.
func (h *handover) views(now time.Time) []*View {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pruneLocked(now)
	out := make([]*View, len(h.old))
	for i, r := range h.old {
		out[i] = r.view
	}
	return out
}

func (h *handover) pruneLocked(now time.Time) {
	i := 0
	for i < len(h.old) && !now.Before(h.old[i].until) {
		i++
	}
	h.old = h.old[i:]
}

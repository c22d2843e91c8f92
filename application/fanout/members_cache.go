package fanout

import (
	"context"
	"slices"
	"sync"

	"github.com/chatd/chat/domain"
)

// memberCacheSize bounds how many channels' rosters a cache keeps; past
// it, arbitrary entries make room (a miss costs one lookup, never a wrong
// delivery).
const memberCacheSize = 16384

// memberCache keeps the rosters it read, so a message whose channel's
// membership has not changed since costs no members lookup. Exact, not a
// guess: a message carries the version of its channel's membership at its
// commit (domain.Message.MemberVersion), and a cached roster serves it
// only when the versions are equal, which makes it the very set of members
// the message was stored for. Anything else (another version, an event
// without one: joins, leaves, read state, typing, presence) is read from
// the database, and what is read refreshes the cache.
type memberCache struct {
	members Members

	mu      sync.Mutex
	rosters map[string]Roster
}

func newMemberCache(members Members) *memberCache {
	return &memberCache{members: members, rosters: make(map[string]Roster)}
}

// lookup returns the members of every channel events need, by channel id.
// Channels without members are absent, as with Members.
func (c *memberCache) lookup(ctx context.Context, events []domain.Event) (map[string][]string, error) {
	// A channel is served from the cache only if every event of the batch
	// that needs it is a message of the cached version.
	cached := make(map[string]bool)
	var order []string
	c.mu.Lock()
	for _, ev := range events {
		for _, id := range channelsToLookUp(ev) {
			ok, seen := cached[id]
			if !seen {
				order, ok = append(order, id), true
			}
			cached[id] = ok && c.servesLocked(id, ev)
		}
	}
	out := make(map[string][]string, len(order))
	var missing []string
	for _, id := range order {
		if cached[id] {
			out[id] = c.rosters[id].Users
		} else {
			missing = append(missing, id)
		}
	}
	c.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	read, err := c.members.ChannelMembers(ctx, missing)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, r := range read {
		// Sorted once here, so that the hubs can search each event's
		// recipients instead of scanning them for every session.
		slices.Sort(r.Users)
		out[id] = r.Users
		c.keep(id, r)
	}
	return out, nil
}

// servesLocked reports whether the cached roster of channel id is exactly
// the recipients of ev. Called with mu held.
func (c *memberCache) servesLocked(id string, ev domain.Event) bool {
	r, ok := c.rosters[id]
	return ok && ev.Type == domain.EventMessageCreated && ev.Message != nil &&
		ev.Message.MemberVersion > 0 && ev.Message.MemberVersion == r.Version
}

// keep stores r unless the cache holds a newer version already (two
// lookups may finish out of order). Called with mu held.
func (c *memberCache) keep(id string, r Roster) {
	if old, ok := c.rosters[id]; ok {
		if old.Version <= r.Version {
			c.rosters[id] = r
		}
		return
	}
	for victim := range c.rosters {
		if len(c.rosters) < memberCacheSize {
			break
		}
		delete(c.rosters, victim)
	}
	c.rosters[id] = r
}

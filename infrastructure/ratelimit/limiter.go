// Package ratelimit keeps one token bucket per user for the send rate limit
// (docs/protocol.md: default 20 messages/s, burst 40).
package ratelimit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// sweepEvery bounds the work of forgetting idle users: every this many
// calls, buckets that have refilled completely are dropped, since a fresh
// bucket behaves exactly the same. Memory then follows active senders, not
// everyone who ever sent.
const sweepEvery = 4096

// PerUser is a token bucket per user id, safe for concurrent use. A user's
// connections on one node share a bucket; the cluster routes a user to one
// node, so the limit holds per user overall.
type PerUser struct {
	limit rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	calls   int
}

// NewPerUser builds a limiter allowing perSecond sends on average with
// bursts of up to burst.
func NewPerUser(perSecond float64, burst int) *PerUser {
	return &PerUser{limit: rate.Limit(perSecond), burst: burst, now: time.Now, buckets: map[string]*rate.Limiter{}}
}

// AllowSend takes one token from userID's bucket, reporting false when it
// is empty, with the time until a token is back. A refused call takes
// nothing, so retrying then works.
func (p *PerUser) AllowSend(userID string) (bool, time.Duration) {
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if p.calls%sweepEvery == 0 {
		p.sweep(now)
	}
	b, ok := p.buckets[userID]
	if !ok {
		b = rate.NewLimiter(p.limit, p.burst)
		p.buckets[userID] = b
	}
	if b.AllowN(now, 1) {
		return true, 0
	}
	missing := 1 - b.TokensAt(now)
	return false, time.Duration(missing / float64(p.limit) * float64(time.Second))
}

func (p *PerUser) sweep(now time.Time) {
	for id, b := range p.buckets {
		if b.TokensAt(now) >= float64(p.burst) {
			delete(p.buckets, id)
		}
	}
}

// tracked reports how many users have a bucket, for tests.
func (p *PerUser) tracked() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.buckets)
}

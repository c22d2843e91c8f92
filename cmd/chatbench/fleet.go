package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// dialAttempts bounds how often one connection is tried: a burst of
// thousands of dials can overflow the server's accept backlog, and a
// client that retries is what a real one does.
const dialAttempts = 4

// dialTimeout bounds one dial including the ready frame.
const dialTimeout = 30 * time.Second

// fleet is a shard's set of connections and what dialing them cost.
type fleet struct {
	env     *shardEnv
	clients []*client

	dialLatency *Histogram // dial start to ready, per connection
	retries     atomic.Int64
}

func newFleet(env *shardEnv) *fleet {
	return &fleet{env: env, dialLatency: NewHistogram()}
}

// addUsers creates n users through the admin API and a client for each,
// numbered from the shard's first connection on.
func (f *fleet) addUsers(ctx context.Context, n int, handler frameHandler) ([]*client, error) {
	users, err := f.env.admin.newUsers(ctx, n, f.env.params.AdminConcurrency, fmt.Sprintf("%s-%d", f.env.userPrefix(), len(f.clients)))
	if err != nil {
		return nil, err
	}
	added := make([]*client, n)
	for i, u := range users {
		added[i] = newClient(f.env.spec.ConnOffset+len(f.clients)+i, u, handler)
	}
	f.clients = append(f.clients, added...)
	return added, nil
}

// dialAll connects clients with -connect-concurrency dials in flight,
// retrying each a few times, and fails on the first client that cannot
// connect at all.
func (f *fleet) dialAll(ctx context.Context, clients []*client) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, f.env.params.ConnectConcurrency)
	var wg sync.WaitGroup
	for _, c := range clients {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := f.dial(ctx, c); err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return fmt.Errorf("connect %d clients: %w", len(clients), err)
	}
	return nil
}

// dial connects one client, with retries.
func (f *fleet) dial(ctx context.Context, c *client) error {
	start := time.Now()
	var err error
	for attempt := range dialAttempts {
		if attempt > 0 {
			f.retries.Add(1)
			select {
			case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		dialCtx, cancel := context.WithTimeout(ctx, dialTimeout)
		err = c.dial(dialCtx, f.env.admin.wsURL(), f.env.pool.forConn(c.index))
		cancel()
		if err == nil {
			f.dialLatency.Record(time.Since(start))
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		f.env.log.Info("dial failed; retrying", "user", c.user.ID, "attempt", attempt+1, "err", err)
	}
	return err
}

// closeAll ends every connection on purpose, in parallel.
func closeAll(clients []*client, graceful bool) {
	var wg sync.WaitGroup
	for _, c := range clients {
		if c.conn != nil {
			wg.Go(func() { c.close(graceful) })
		}
	}
	wg.Wait()
}

// checkDrops fails the result for every connection that ended without
// being asked to: the server closed it (slow consumer, error) or it broke.
func checkDrops(clients []*client, res *shardResult) {
	for _, c := range clients {
		if err := c.dropped(); err != nil {
			res.Counters["dropped_connections"]++
			res.fail("connection of %s ended unexpectedly: %v", c.user.ID, err)
		}
	}
}

// waitUntil polls cond until it holds or the bound passes; it reports
// whether cond held. Benchmark phases end on observed state, and the bound
// turns a stuck server into a failure instead of a hang.
func waitUntil(ctx context.Context, bound time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(bound)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return cond()
		}
	}
}

package postgres

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatd/chat/retry"
)

// ShardRelays keeps this node's view of the shard map fresh and runs one
// outbox relay per database in it: the directory's (presence events, and
// the channels it holds) and one per shard, each under its own database's
// advisory lock, so shards publish independently of each other. A shard
// added to the map gets its relay within refreshInterval; a removed one's
// relay stops.
type ShardRelays struct {
	shards *Shards
	sink   EventSink
	logger *slog.Logger
	poll   time.Duration

	mu      sync.Mutex
	running map[*DB]*runningRelay
}

type runningRelay struct {
	relay *OutboxRelay
	stop  context.CancelFunc
	done  chan struct{}
}

// NewShardRelays returns the relays of the shards, publishing to sink.
func NewShardRelays(shards *Shards, sink EventSink, logger *slog.Logger, pollInterval time.Duration) *ShardRelays {
	return &ShardRelays{shards: shards, sink: sink, logger: logger, poll: pollInterval, running: map[*DB]*runningRelay{}}
}

// Run relays and refreshes the map until ctx ends.
func (r *ShardRelays) Run(ctx context.Context) error {
	defer r.stopAll()
	edge := retry.NewEdge(r.logger, slog.LevelError, "shard map refresh")
	ticker := time.NewTicker(refreshInterval)
	defer ticker.Stop()
	for {
		r.sync(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		if err := r.shards.Refresh(ctx); err != nil {
			edge.Fail(ctx, err)
		} else {
			edge.OK(ctx)
		}
	}
}

// sync starts a relay for every database of the map without one and
// stops the relays of databases no longer in it.
func (r *ShardRelays) sync(ctx context.Context) {
	want := map[*DB]string{r.shards.dir: "directory"}
	for _, sh := range r.shards.all() {
		want[sh.db] = sh.spec.ID
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for db, name := range want {
		if r.running[db] != nil {
			continue
		}
		relay := NewOutboxRelay(db, r.sink, r.logger.With("shard", name), r.poll)
		rctx, stop := context.WithCancel(ctx)
		run := &runningRelay{relay: relay, stop: stop, done: make(chan struct{})}
		go func() {
			defer close(run.done)
			_ = relay.Run(rctx) // Run returns nil; it logs its own failures.
		}()
		r.running[db] = run
	}
	for db, run := range r.running {
		if _, ok := want[db]; !ok {
			run.stop()
			<-run.done
			delete(r.running, db)
		}
	}
	r.shards.closeRetired()
}

func (r *ShardRelays) stopAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for db, run := range r.running {
		run.stop()
		<-run.done
		delete(r.running, db)
	}
}

// BacklogGauge is the gauge of the outbox rows not yet acknowledged by the
// broker, summed over every database, counted at each scrape (NaN when a
// database does not answer).
func (r *ShardRelays) BacklogGauge() prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "chatd_outbox_backlog",
		Help: "Outbox rows committed but not yet acknowledged by the broker, over every database (exact up to 10,000 per database, then the span of their ids).",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), backlogTimeout)
		defer cancel()
		r.mu.Lock()
		relays := make([]*OutboxRelay, 0, len(r.running))
		for _, run := range r.running {
			relays = append(relays, run.relay)
		}
		r.mu.Unlock()
		var total int64
		for _, relay := range relays {
			n, err := relay.Backlog(ctx)
			if err != nil {
				r.logger.Warn("cannot count the outbox backlog for a metrics scrape", "err", err)
				return math.NaN()
			}
			total += n
		}
		return float64(total)
	})
}

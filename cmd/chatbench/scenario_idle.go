package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// serverConnCeiling is about how many connections one chatd holds in this
// workplace: every process may open at most 20,000 files (a hard limit
// that cannot be raised here), and the server needs some for PostgreSQL,
// the listener and logs.
const serverConnCeiling = 19000

// heartbeatTick is how often the idle scheduler wakes to send the
// heartbeats that fell due: one goroutine for all connections instead of
// a timer each.
const heartbeatTick = 10 * time.Millisecond

var idleScenario = &scenario{
	help: "idle connections that heartbeat",
	validate: func(p *Params) error {
		if err := positive("conns", p.Conns); err != nil {
			return err
		}
		if p.Heartbeat < heartbeatTick {
			return fmt.Errorf("-heartbeat must be at least %s", heartbeatTick)
		}
		return nil
	},
	conns: func(p *Params, index, count int) int { return share(p.Conns, index, count) },
	newShard: func(env *shardEnv) shard {
		return &idleShard{env: env, fleet: newFleet(env), replies: newReplyCounter()}
	},
	summarize: summarizeIdle,
}

// replyCounter counts heartbeat replies and anything unexpected, and the
// WebSocket pings of -ws-ping with their pongs.
type replyCounter struct {
	sent, acks, errs atomic.Int64

	pings, pongs, pingErrs atomic.Int64
	pingErr                atomic.Value // the first ping's error, a string

	mu       sync.Mutex
	errText  map[string]int64 // "code: message" -> count
	unwanted map[string]int64 // unexpected frame type -> count
}

func newReplyCounter() *replyCounter {
	return &replyCounter{errText: map[string]int64{}, unwanted: map[string]int64{}}
}

func (r *replyCounter) handle(_ *client, f inFrame, _ time.Time) {
	switch f.Type {
	case "heartbeat_ack":
		r.acks.Add(1)
	case "error":
		var e errorPayload
		_ = decodePayload(f, &e) // an undecodable error still counts as one
		r.errs.Add(1)
		r.mu.Lock()
		r.errText[e.Code+": "+e.Message]++
		r.mu.Unlock()
	default:
		r.mu.Lock()
		r.unwanted[f.Type]++
		r.mu.Unlock()
	}
}

// report turns the counts into the result: heartbeats refused as "not
// supported" are a note (the presence feature may not be there yet),
// other errors and unexpected frames are failures.
func (r *replyCounter) report(res *shardResult) {
	res.Counters["heartbeats_sent"] += r.sent.Load()
	res.Counters["heartbeat_acks"] += r.acks.Load()
	res.Counters["heartbeat_errors"] += r.errs.Load()
	res.Counters["ws_pings_sent"] += r.pings.Load()
	res.Counters["ws_pongs"] += r.pongs.Load()
	if n := r.pingErrs.Load(); n > 0 {
		res.fail("%d WebSocket pings got no pong: %v", n, r.pingErr.Load())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for text, n := range r.errText {
		if strings.Contains(text, "not supported") {
			res.note("the server refused every heartbeat (%s); presence is not implemented yet, so this run measures connections that send heartbeats and get errors back", text)
			res.Counters["heartbeats_unsupported"] += n
			continue
		}
		res.fail("%d heartbeats failed: %s", n, text)
	}
	for typ, n := range r.unwanted {
		res.fail("%d unexpected %s frames on idle connections", n, typ)
	}
}

type idleShard struct {
	env     *shardEnv
	fleet   *fleet
	replies *replyCounter
}

func (s *idleShard) prepare(ctx context.Context) error {
	_, err := s.fleet.addUsers(ctx, share(s.env.params.Conns, s.env.spec.Index, s.env.spec.Count), s.replies.handle)
	return err
}

func (s *idleShard) connect(ctx context.Context) error {
	return s.fleet.dialAll(ctx, s.fleet.clients)
}

// run holds the connections for the duration, each sending a heartbeat
// every interval, spread evenly over the interval.
func (s *idleShard) run(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.env.params.Duration)
	defer cancel()
	clients := s.fleet.clients
	slots := max(1, int(s.env.params.Heartbeat/heartbeatTick))
	tick := time.NewTicker(heartbeatTick)
	defer tick.Stop()
	for k := 0; ; k++ {
		slot := k % slots
		for i := slot; i < len(clients); i += slots {
			if clients[i].dropped() != nil {
				continue
			}
			if err := clients[i].send("heartbeat", heartbeatPayload{Status: "online"}); err != nil {
				continue // checkDrops reports the connection
			}
			s.replies.sent.Add(1)
		}
		if s.env.params.WSPing {
			for i := (slot + slots/2) % slots; i < len(clients); i += slots {
				if clients[i].dropped() == nil {
					s.ping(clients[i])
				}
			}
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return nil
		}
	}
}

// ping sends a WebSocket ping and counts its pong, which the
// connection's read loop takes in; Ping waits for it, so it runs apart.
func (s *idleShard) ping(c *client) {
	r := s.replies
	r.pings.Add(1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		defer cancel()
		if err := c.conn.Ping(ctx); err != nil {
			r.pingErr.CompareAndSwap(nil, err.Error())
			r.pingErrs.Add(1)
			return
		}
		r.pongs.Add(1)
	}()
}

func (s *idleShard) finish(ctx context.Context) (shardResult, error) {
	res := newShardResult()
	r := s.replies
	if !waitUntil(ctx, s.env.params.Drain, func() bool { return r.acks.Load()+r.errs.Load() >= r.sent.Load() }) {
		res.fail("%d of %d heartbeats got no reply within %s", r.sent.Load()-r.acks.Load()-r.errs.Load(), r.sent.Load(), s.env.params.Drain)
	}
	if !waitUntil(ctx, s.env.params.Drain, func() bool { return r.pongs.Load()+r.pingErrs.Load() >= r.pings.Load() }) {
		res.fail("%d of %d WebSocket pings got no pong within %s", r.pings.Load()-r.pongs.Load()-r.pingErrs.Load(), r.pings.Load(), s.env.params.Drain)
	}
	checkDrops(s.fleet.clients, &res)
	r.report(&res)
	res.Counters["connections"] = int64(len(s.fleet.clients))
	res.Counters["dial_retries"] = s.fleet.retries.Load()
	res.Histograms["dial"] = s.fleet.dialLatency.Data()
	closeAll(s.fleet.clients, true)
	return res, nil
}

func summarizeIdle(rep *Report, run *runData) {
	r := run.result
	n := float64(r.Counters["connections"])
	if n == 0 {
		return
	}
	perConn := func(name, after string) float64 {
		return run.serverDelta(name, phasePrepare, after) / n
	}
	rep.add("connections held", n-float64(r.Counters["dropped_connections"]), "")
	rep.add("connect rate", n/run.phaseDur[phaseConnect].Seconds(), "conn/s")
	rep.addTarget("chatd RSS per connection after connect", perConn(metricRSS, phaseConnect), "B", targetIdleBytesPerConn, false)
	rep.addTarget("chatd RSS per connection after hold", perConn(metricRSS, phaseRun), "B", targetIdleBytesPerConn, false)
	rep.add("chatd heap in use per connection", perConn(metricHeapInuse, phaseRun), "B")
	rep.add("chatd goroutine stacks per connection", perConn(metricStackInuse, phaseRun), "B")
	rep.add("chatd goroutines per connection", perConn(metricGoroutines, phaseRun), "")
	rep.add("chatd open files after connect", run.metrics[phaseConnect][metricOpenFDs], "")
	rep.add("chatd RSS after hold", run.metrics[phaseRun][metricRSS]/(1<<20), "MiB")
	runSeconds := run.phaseDur[phaseRun].Seconds()
	rep.add("heartbeats sent/s", perSecond(r.Counters["heartbeats_sent"], runSeconds), "/s")
	rep.add("heartbeat_ack/s", perSecond(r.Counters["heartbeat_acks"], runSeconds), "/s")
	if run.params.WSPing {
		rep.add("WebSocket pings sent/s", perSecond(r.Counters["ws_pings_sent"], runSeconds), "/s")
		rep.add("pongs/s", perSecond(r.Counters["ws_pongs"], runSeconds), "/s")
	}
	rep.add("chatd CPU during hold", run.serverDelta(metricCPU, phaseConnect, phaseRun)/runSeconds, "cores")
	rep.addLatency("dial->ready", r.histogram("dial"))
	if int(n) > serverConnCeiling {
		rep.Notes = append(rep.Notes, fmt.Sprintf("more than %d connections: one chatd process here may open at most 20,000 files (hard limit)", serverConnCeiling))
	}
}

package main

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"
)

// createConcurrency bounds create_channel commands in flight per shard.
const createConcurrency = 32

// chatShard is one process's part of the direct and group scenarios:
// channels of `size` members, the first `senders` of each sending.
type chatShard struct {
	env      *shardEnv
	kind     string // "direct" or "group"
	units    int    // channels of this shard
	size     int    // members per channel
	senders  int    // senders per channel
	rate     float64
	fleet    *fleet
	traffic  *traffic
	channels []*benchChannel
	pacer    *pacer

	runStart time.Time
	cpuRun   float64
}

func newChatShard(env *shardEnv, kind string, units, totalUnits, size, senders int) *chatShard {
	t := newTraffic()
	t.markRead = env.params.MarkRead
	return &chatShard{
		env: env, kind: kind, units: units, size: size, senders: senders,
		rate:    env.params.Rate * float64(units) / float64(totalUnits),
		fleet:   newFleet(env),
		traffic: t,
	}
}

func (s *chatShard) prepare(ctx context.Context) error {
	clients, err := s.fleet.addUsers(ctx, s.units*s.size, s.traffic.handle)
	if err != nil {
		return err
	}
	for i := range s.units {
		s.channels = append(s.channels, &benchChannel{members: clients[i*s.size : (i+1)*s.size]})
	}
	return nil
}

func (s *chatShard) connect(ctx context.Context) error {
	if err := s.fleet.dialAll(ctx, s.fleet.clients); err != nil {
		return err
	}
	if err := createChannels(ctx, s.kind, s.channels, s.traffic.addChannel); err != nil {
		return err
	}
	var slots []*sendSlot
	for _, ch := range s.channels {
		for _, c := range ch.members[:s.senders] {
			slots = append(slots, &sendSlot{client: c, channel: ch})
		}
	}
	s.pacer = newPacer(s.rate, s.env.params.BodySize, slots)
	return nil
}

// createChannels has the first member of each channel create it with the
// others, then waits until every member's connection got channel_created
// (and so is subscribed) before any message is sent. created, if not nil,
// learns each channel as soon as it exists.
func createChannels(ctx context.Context, kind string, channels []*benchChannel, created func(*benchChannel)) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, createConcurrency)
	var wg sync.WaitGroup
	for i, ch := range channels {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := createChannel(ctx, kind, fmt.Sprintf("bench %d", i), ch, created); err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	subscribed := func() bool {
		for _, ch := range channels {
			for _, c := range ch.members {
				if c.stream(ch.id) == nil {
					return false
				}
			}
		}
		return true
	}
	if !waitUntil(ctx, 30*time.Second, subscribed) {
		return fmt.Errorf("members of %d new channels did not all receive channel_created within 30s", len(channels))
	}
	return nil
}

func createChannel(ctx context.Context, kind, name string, ch *benchChannel, created func(*benchChannel)) error {
	creator := ch.members[0]
	others := make([]string, 0, len(ch.members)-1)
	for _, m := range ch.members[1:] {
		others = append(others, m.user.ID)
	}
	payload := createChannelPayload{ChannelType: kind, MemberIDs: others}
	if kind == "group" {
		payload.Name = name
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	reply, err := creator.call(ctx, "create_channel", payload)
	if err != nil {
		return err
	}
	var p channelCreatedPayload
	if reply.Type != "channel_created" || decodePayload(reply, &p) != nil || p.ChannelID == "" {
		return fmt.Errorf("create_channel of %s: got %s %.300s", creator.user.ID, reply.Type, reply.Payload)
	}
	ch.id = p.ChannelID
	creator.subscribe(ch.id, 0)
	if created != nil {
		created(ch)
	}
	return nil
}

func (s *chatShard) run(ctx context.Context) error {
	cpu := processCPU()
	ctx, cancel := context.WithTimeout(ctx, s.env.params.Duration)
	defer cancel()
	s.runStart = time.Now()
	s.pacer.run(ctx)
	s.cpuRun = processCPU() - cpu
	return nil
}

func (s *chatShard) finish(ctx context.Context) (shardResult, error) {
	res := newShardResult()
	drain := s.env.params.Drain
	awaitReplies(ctx, drain, s.pacer, s.traffic, &res)
	if !waitUntil(ctx, drain, func() bool { return allCaughtUp(s.channels) }) {
		res.note("not every member held every acknowledged message %s after the replies; the check below counts what is missing", drain)
	}
	if t := s.traffic; t.markRead {
		if !waitUntil(ctx, drain, func() bool { return t.readMarked.Load() >= t.marksSent.Load() }) {
			res.fail("%d of %d mark_read commands got no read_marked within %s", t.marksSent.Load()-t.readMarked.Load(), t.marksSent.Load(), drain)
		}
	}
	checkDrops(s.fleet.clients, &res)
	verifyChannels(s.channels, &res)
	s.traffic.report(&res)
	reportPacer(s.pacer, s.runStart, s.traffic, s.cpuRun, &res)
	res.Histograms["dial"] = s.fleet.dialLatency.Data()
	res.Counters["dial_retries"] = s.fleet.retries.Load()
	res.Counters["connections"] = int64(len(s.fleet.clients))
	closeAll(s.fleet.clients, true)
	return res, nil
}

// awaitReplies waits (bounded) until every written send_message has its
// reply. One still unanswered is a failure, and its sender lacks its own
// copy of the message (message_sent is how a sender learns its seq), so
// the check counts such messages as missing too.
func awaitReplies(ctx context.Context, drain time.Duration, p *pacer, t *traffic, res *shardResult) {
	answered := func() bool { return t.acked.Load()+t.sendErrors.Load() >= p.written.Load() }
	if waitUntil(ctx, drain, answered) {
		return
	}
	open := p.written.Load() - t.acked.Load() - t.sendErrors.Load()
	res.fail("%d of %d send_message commands got no reply within %s", open, p.written.Load(), drain)
	res.note("the server fell behind: %d sends were unanswered after %s; their senders count their own copies as missing, so the missing count includes up to %d that were stored but not acknowledged in time", open, drain, open)
}

// reportPacer adds the send-side counts and the spans the rates are
// computed over: from the start of the run to the last reply and to the
// last delivery, so the tail after the send phase counts against the rate.
func reportPacer(p *pacer, runStart time.Time, t *traffic, cpu float64, res *shardResult) {
	res.Counters["issued"] += p.issued.Load()
	res.Counters["skipped"] += p.skipped.Load()
	res.Counters["written"] += p.written.Load()
	res.Counters["write_failed"] += p.failed.Load()
	res.Counters["client_cpu_ms"] += int64(math.Round(cpu * 1000))
	if n := p.failed.Load(); n > 0 {
		res.fail("%d send_message writes failed", n)
	}
	if n := p.skipped.Load(); n > 0 {
		res.note("the load generator could not keep up with the target rate: %d sends skipped (its queues were full)", n)
	}
	span := func(unixNanos int64) float64 {
		if unixNanos == 0 {
			return 0
		}
		return time.Unix(0, unixNanos).Sub(runStart).Seconds()
	}
	res.Maxima["ack_span_s"] = span(t.lastAck.Load())
	res.Maxima["receive_span_s"] = span(t.lastRecv.Load())
}

package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// reconnectWarmup is how long the senders run before the drop, so the
	// clients hold a live stream to come back to.
	reconnectWarmup = time.Second
	// reconnectTail is how long the senders go on after everyone caught
	// up, so the live stream after the reconnect is checked too.
	reconnectTail = time.Second
	// recoveryBound is the longest wait for all clients to be back and
	// caught up.
	recoveryBound = 2 * time.Minute
	// maxGroupClients leaves room for the sender in a 50-member group.
	maxGroupClients = 49
)

var reconnectScenario = &scenario{
	help: "drop and reconnect many clients at once",
	validate: func(p *Params) error {
		if err := positive("conns", p.Conns); err != nil {
			return err
		}
		// The default -group-size (50, for the group scenario) leaves no
		// room for the sender; one group holds 49 clients and its sender.
		p.GroupSize = min(max(p.GroupSize, 1), maxGroupClients)
		if p.Rate <= 0 || p.Down <= 0 {
			return fmt.Errorf("burst-reconnect needs a positive -rate and -down")
		}
		return nil
	},
	conns: func(p *Params, index, count int) int {
		n := share(p.Conns, index, count)
		return n + (n+p.GroupSize-1)/p.GroupSize
	},
	newShard: func(env *shardEnv) shard {
		return &reconnectShard{env: env, fleet: newFleet(env), traffic: newTraffic(),
			toReady: NewHistogram(), toCaughtUp: NewHistogram()}
	},
	summarize: summarizeReconnect,
}

type reconnectShard struct {
	env      *shardEnv
	fleet    *fleet
	traffic  *traffic
	members  []*client // the clients that drop and come back
	channels []*benchChannel
	pacer    *pacer

	toReady, toCaughtUp *Histogram   // from the reconnect start, per client
	fetched, calls      atomic.Int64 // messages read with get_messages, and the calls
	sentWhileDown       int64
	runStart            time.Time
	cpuRun              float64
	faults              []string
	faultMu             sync.Mutex
}

func (s *reconnectShard) prepare(ctx context.Context) error {
	n := share(s.env.params.Conns, s.env.spec.Index, s.env.spec.Count)
	size := s.env.params.GroupSize
	groups := (n + size - 1) / size
	senders, err := s.fleet.addUsers(ctx, groups, s.traffic.handle)
	if err != nil {
		return err
	}
	if s.members, err = s.fleet.addUsers(ctx, n, s.traffic.handle); err != nil {
		return err
	}
	for g := range groups {
		members := append([]*client{senders[g]}, s.members[g*size:min((g+1)*size, n)]...)
		s.channels = append(s.channels, &benchChannel{members: members})
	}
	return nil
}

func (s *reconnectShard) connect(ctx context.Context) error {
	if err := s.fleet.dialAll(ctx, s.fleet.clients); err != nil {
		return err
	}
	if err := createChannels(ctx, "group", s.channels, s.traffic.addChannel); err != nil {
		return err
	}
	slots := make([]*sendSlot, 0, len(s.channels))
	for _, ch := range s.channels {
		slots = append(slots, &sendSlot{client: ch.members[0], channel: ch})
	}
	share := float64(len(s.members)) / float64(s.env.params.Conns)
	s.pacer = newPacer(s.env.params.Rate*share, s.env.params.BodySize, slots)
	for _, c := range s.members {
		c.onReady = resubscribe
	}
	return nil
}

// resubscribe runs when a returning client's ready arrives, before any
// other frame of the new connection: it notes, per channel, the highest
// seq the client held (where its catch-up starts; live frames of the new
// connection would raise it past what is missing), and restarts the live
// order at the position the ready announces.
func resubscribe(c *client) {
	c.mu.Lock()
	defer c.mu.Unlock()
	resume := map[string]int64{}
	for _, rc := range c.ready.Channels {
		if st := c.streams[rc.ChannelID]; st != nil {
			resume[rc.ChannelID] = st.MaxSeen()
			st.Resubscribed(rc.LastSeq)
		}
	}
	c.state = resume
}

// run: senders start; after a warm-up every client drops at once; they
// stay away while the senders go on, reconnect at once and catch up; the
// senders stop a little after the last one caught up.
func (s *reconnectShard) run(ctx context.Context) error {
	cpu := processCPU()
	s.runStart = time.Now()
	sendCtx, stopSending := context.WithCancel(ctx)
	sending := make(chan struct{})
	go func() {
		defer close(sending)
		s.pacer.run(sendCtx)
	}()
	defer func() {
		stopSending()
		<-sending
		s.cpuRun = processCPU() - cpu
	}()
	select {
	case <-time.After(reconnectWarmup):
	case <-ctx.Done():
		return ctx.Err()
	}
	closeAll(s.members, false)
	writtenAtDrop := s.pacer.written.Load()
	select {
	case <-time.After(s.env.params.Down):
	case <-ctx.Done():
		return ctx.Err()
	}
	s.sentWhileDown = s.pacer.written.Load() - writtenAtDrop
	start := time.Now()
	var wg sync.WaitGroup
	var failed atomic.Int64
	recoverCtx, cancel := context.WithTimeout(ctx, recoveryBound)
	defer cancel()
	for _, c := range s.members {
		wg.Go(func() {
			if err := s.comeBack(recoverCtx, c, start); err != nil {
				failed.Add(1)
				s.fault("%s did not come back: %v", c.user.ID, err)
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("%d of %d clients did not reconnect and catch up: %v", n, len(s.members), s.faults[0])
	}
	select {
	case <-time.After(max(reconnectTail, s.env.params.Duration-time.Since(s.runStart))):
	case <-ctx.Done():
	}
	return nil
}

// comeBack reconnects one client and catches its channels up from the
// highest seq it held to the lastSeq its ready announced.
func (s *reconnectShard) comeBack(ctx context.Context, c *client, start time.Time) error {
	if err := s.fleet.dial(ctx, c); err != nil {
		return err
	}
	s.toReady.Record(time.Since(start))
	for _, rc := range c.ready.Channels {
		if c.stream(rc.ChannelID) == nil {
			continue
		}
		if err := s.catchUp(ctx, c, rc.ChannelID, rc.LastSeq); err != nil {
			return err
		}
	}
	if len(c.ready.Channels) == 0 {
		return fmt.Errorf("ready lists no channels")
	}
	s.toCaughtUp.Record(time.Since(start))
	return nil
}

func (s *reconnectShard) catchUp(ctx context.Context, c *client, channelID string, upTo int64) error {
	c.mu.Lock()
	after := c.state.(map[string]int64)[channelID]
	c.mu.Unlock()
	for after < upTo {
		s.calls.Add(1)
		reply, err := c.call(ctx, "get_messages", getMessagesPayload{ChannelID: channelID, AfterSeq: after, Limit: 100})
		if err != nil {
			return err
		}
		var page messagesPayload
		if reply.Type != "messages" || decodePayload(reply, &page) != nil {
			return fmt.Errorf("get_messages of %s: got %s %.200s", channelID, reply.Type, reply.Payload)
		}
		reached := !page.HasMore || len(page.Messages) == 0 // what is still missing, the check counts
		c.mu.Lock()
		for _, m := range page.Messages {
			if m.Seq > upTo { // from here on the live stream delivers
				reached = true
				break
			}
			c.streams[channelID].History(m.Seq)
			s.fetched.Add(1)
			after = m.Seq
		}
		c.mu.Unlock()
		if reached {
			break
		}
	}
	return nil
}

func (s *reconnectShard) fault(format string, args ...any) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faults = append(s.faults, fmt.Sprintf(format, args...))
}

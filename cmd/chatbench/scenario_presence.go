package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

var presenceScenario = &scenario{
	help: "heartbeats and presence changes",
	validate: func(p *Params) error {
		if p.Conns < 2 || p.Toggles < 1 || p.InFlight < 1 {
			return fmt.Errorf("presence needs -conns of at least 2, -toggles and -inflight of at least 1")
		}
		return nil
	},
	conns: func(p *Params, index, count int) int {
		return 2*share(p.Conns/2, index, count) + 2*share(p.Toggles, index, count)
	},
	newShard: func(env *shardEnv) shard {
		return &presenceShard{env: env, fleet: newFleet(env), rtt: NewHistogram(), change: NewHistogram()}
	},
	summarize: summarizePresence,
}

// presenceView is what one client saw of its partner's presence.
type presenceView struct {
	statuses []string      // presence_updated statuses of the partner, in arrival order
	times    []time.Time   // when each arrived
	notify   chan struct{} // signalled on every update
}

type presenceShard struct {
	env       *shardEnv
	fleet     *fleet
	flood     []*benchChannel // pairs heartbeating back to back
	toggle    []*benchChannel // members[0] toggles, members[1] watches
	faults    atomic.Int64
	faultMu   sync.Mutex
	faultList []string

	unsupported string // the server's answer to heartbeat, when it refused it
	rtt         *Histogram
	change      *Histogram
	acks        atomic.Int64
	toggles     [][]string   // per toggle pair, the statuses sent, in order
	late        atomic.Int64 // changes not seen within -drain; the final check decides if they were lost
	runSeconds  float64
	cpuRun      float64
}

func (s *presenceShard) handle(c *client, f inFrame, at time.Time) {
	switch f.Type {
	case "channel_created":
		var p channelCreatedPayload
		if decodePayload(f, &p) == nil {
			c.subscribe(p.ChannelID, 0)
		}
	case "presence_updated":
		var p presenceUpdatedPayload
		if err := decodePayload(f, &p); err != nil {
			s.fault("%s: %v", c.user.ID, err)
			return
		}
		if p.UserID == c.user.ID {
			return // a user's own change, if the server sends it, is not checked
		}
		c.mu.Lock()
		v := c.state.(*presenceView)
		v.statuses = append(v.statuses, p.Status)
		v.times = append(v.times, at)
		c.mu.Unlock()
		select {
		case v.notify <- struct{}{}:
		default:
		}
	default:
		s.fault("%s got unexpected %s %.200s", c.user.ID, f.Type, f.Payload)
	}
}

func (s *presenceShard) fault(format string, args ...any) {
	s.faults.Add(1)
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	if len(s.faultList) < maxListed {
		s.faultList = append(s.faultList, fmt.Sprintf(format, args...))
	}
}

func (s *presenceShard) prepare(ctx context.Context) error {
	p, spec := s.env.params, s.env.spec
	floodPairs, togglePairs := share(p.Conns/2, spec.Index, spec.Count), share(p.Toggles, spec.Index, spec.Count)
	clients, err := s.fleet.addUsers(ctx, 2*(floodPairs+togglePairs), s.handle)
	if err != nil {
		return err
	}
	for _, c := range clients {
		c.state = &presenceView{notify: make(chan struct{}, 1)}
	}
	for i := range floodPairs + togglePairs {
		ch := &benchChannel{members: clients[2*i : 2*i+2]}
		if i < floodPairs {
			s.flood = append(s.flood, ch)
		} else {
			s.toggle = append(s.toggle, ch)
		}
	}
	s.toggles = make([][]string, len(s.toggle))
	return nil
}

// connect opens the connections, creates the direct channels (presence
// fans out to users who share a channel), probes heartbeat once, and
// brings the heartbeating users online, so that the measured phase sees
// steady heartbeats (which change nothing) plus the toggles alone.
func (s *presenceShard) connect(ctx context.Context) error {
	if err := s.fleet.dialAll(ctx, s.fleet.clients); err != nil {
		return err
	}
	if err := createChannels(ctx, "direct", append(append([]*benchChannel{}, s.flood...), s.toggle...), nil); err != nil {
		return err
	}
	var probe *client
	switch {
	case len(s.flood) > 0:
		probe = s.flood[0].members[0]
	case len(s.toggle) > 0:
		probe = s.toggle[0].members[1] // a watcher: its own status is not checked
	default:
		return nil // more processes than users: this one has nothing to do
	}
	reply, err := probe.call(ctx, "heartbeat", heartbeatPayload{Status: "online"})
	if err != nil {
		return err
	}
	if reply.Type != "heartbeat_ack" {
		var e errorPayload
		if decodePayload(reply, &e) == nil && e.Code != "" {
			s.unsupported = fmt.Sprintf("%s %s: %s", reply.Type, e.Code, e.Message)
		} else {
			s.unsupported = fmt.Sprintf("%s %.200s", reply.Type, reply.Payload)
		}
		return nil
	}
	return s.goOnline(ctx)
}

// goOnline sends every heartbeating user's first heartbeat and waits until
// its partner saw it go online.
func (s *presenceShard) goOnline(ctx context.Context) error {
	sem := make(chan struct{}, s.env.params.ConnectConcurrency)
	var wg sync.WaitGroup
	for _, ch := range s.flood {
		for _, c := range ch.members {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				if reply, err := c.call(ctx, "heartbeat", heartbeatPayload{Status: "online"}); err != nil || reply.Type != "heartbeat_ack" {
					s.fault("first heartbeat of %s: %v %s %.200s", c.user.ID, err, reply.Type, reply.Payload)
				}
			})
		}
	}
	wg.Wait()
	if !waitUntil(ctx, s.env.params.Drain, s.floodSeen) {
		s.fault("not every heartbeating user's partner saw it go online within %s", s.env.params.Drain)
	}
	return nil
}

// floodSeen reports whether every heartbeating user saw its partner's
// online change.
func (s *presenceShard) floodSeen() bool {
	for _, ch := range s.flood {
		for _, c := range ch.members {
			c.mu.Lock()
			n := len(c.state.(*presenceView).statuses)
			c.mu.Unlock()
			if n == 0 {
				return false
			}
		}
	}
	return true
}

func (s *presenceShard) run(ctx context.Context) error {
	if s.unsupported != "" {
		return nil
	}
	cpu := processCPU()
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, s.env.params.Duration)
	defer cancel()
	var wg sync.WaitGroup
	for _, ch := range s.flood {
		for _, c := range ch.members {
			wg.Go(func() { s.heartbeatPipeline(ctx, c) })
		}
	}
	for i, ch := range s.toggle {
		wg.Go(func() { s.toggleLoop(ctx, i, ch.members[0], ch.members[1]) })
	}
	wg.Wait()
	s.runSeconds = time.Since(start).Seconds()
	s.cpuRun = processCPU() - cpu
	return nil
}

// heartbeatPipeline keeps -inflight heartbeats in flight on one
// connection until ctx ends: whenever acks come back it sends as many new
// heartbeats, together in one write(2). Then it waits, up to -drain, for
// the acks still due, so that every heartbeat sent is answered.
func (s *presenceShard) heartbeatPipeline(ctx context.Context, c *client) {
	inflight := s.env.params.InFlight
	replies := make(chan inFrame, inflight)
	sent := make(map[string]time.Time, inflight)
	frames := make([][]byte, 0, inflight)
	var wire []byte // the frames of one send end to end, reused: Write copies them
	send := func(n int) bool {
		frames, wire = frames[:0], wire[:0]
		now := time.Now()
		for range n {
			id := "h" + strconv.FormatInt(c.nextID.Add(1), 10)
			c.expect(id, "heartbeat_ack", replies)
			sent[id] = now
			start := len(wire)
			wire = appendHeartbeatFrame(wire, id, "online")
			frames = append(frames, wire[start:len(wire):len(wire)])
		}
		if err := c.writeFrames(frames); err != nil {
			s.fault("heartbeat of %s: %v", c.user.ID, err)
			return false
		}
		return true
	}
	ack := func(f inFrame) bool {
		start, ok := sent[f.RequestID]
		if !ok || f.Type != "heartbeat_ack" {
			s.fault("heartbeat of %s answered %s %s %.200s", c.user.ID, f.RequestID, f.Type, f.Payload)
			return false
		}
		delete(sent, f.RequestID)
		s.rtt.Record(time.Since(start))
		s.acks.Add(1)
		return true
	}
	if !send(inflight) {
		return
	}
	for ctx.Err() == nil {
		select {
		case f := <-replies:
			if !ack(f) {
				return
			}
			n := 1
			// Acks that came in the same read are answered together.
			for more := true; more; {
				select {
				case f := <-replies:
					if !ack(f) {
						return
					}
					n++
				default:
					more = false
				}
			}
			if ctx.Err() == nil && !send(n) {
				return
			}
		case <-c.done:
			s.fault("heartbeat of %s: connection ended: %v", c.user.ID, c.dropErr)
			return
		case <-ctx.Done():
		}
	}
	drain := time.NewTimer(s.env.params.Drain)
	defer drain.Stop()
	for len(sent) > 0 {
		select {
		case f := <-replies:
			if !ack(f) {
				return
			}
		case <-c.done:
			s.fault("heartbeat of %s: connection ended with %d acks due: %v", c.user.ID, len(sent), c.dropErr)
			return
		case <-drain.C:
			s.fault("heartbeat of %s: %d acks not received within %s", c.user.ID, len(sent), s.env.params.Drain)
			return
		}
	}
}

// toggleLoop has user toggle online/offline with explicit heartbeats and
// times each change until its partner sees it.
func (s *presenceShard) toggleLoop(ctx context.Context, i int, user, partner *client) {
	view := partner.state.(*presenceView)
	for k := 0; ctx.Err() == nil; k++ {
		status := "online"
		if k%2 == 1 {
			status = "offline"
		}
		start := time.Now()
		s.toggles[i] = append(s.toggles[i], status)
		// Once written, a toggle takes effect whether or not the run ends
		// meanwhile, so its reply is awaited on its own bound, not ctx.
		ackCtx, cancel := context.WithTimeout(context.Background(), s.env.params.Drain)
		reply, err := user.call(ackCtx, "heartbeat", heartbeatPayload{Status: status})
		cancel()
		if err != nil || reply.Type != "heartbeat_ack" {
			s.fault("toggle heartbeat of %s: %v %s %.200s", user.user.ID, err, reply.Type, reply.Payload)
			return
		}
		s.acks.Add(1)
		deadline := time.NewTimer(s.env.params.Drain)
		for {
			partner.mu.Lock()
			n := len(view.statuses)
			var at time.Time
			if n > k {
				at = view.times[k]
			}
			partner.mu.Unlock()
			if n > k {
				s.change.Record(at.Sub(start))
				break
			}
			select {
			case <-view.notify:
				continue
			case <-deadline.C:
				s.late.Add(1) // this toggler stops; finish checks whether it arrived at all
				return
			}
		}
		deadline.Stop()
	}
}

package main

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// benchChannel is one channel of a run and who is in it.
type benchChannel struct {
	id      string
	members []*client
	// maxAcked is the highest seq any sender got in message_sent: every
	// member must end up holding every seq up to it.
	maxAcked atomic.Int64
}

// traffic counts one shard's messages and keeps their latencies. Its
// handle method is the frameHandler of every client in direct, group and
// burst-reconnect runs.
type traffic struct {
	channels sync.Map // channel id -> *benchChannel

	e2e *Histogram // send (due time) to message_received
	ack *Histogram // send (due time) to message_sent

	// markRead makes every receiver answer each message_received with
	// mark_read, the read-receipt workload.
	markRead    bool
	marksSent   atomic.Int64
	readMarked  atomic.Int64
	readUpdated atomic.Int64

	acked    atomic.Int64
	received atomic.Int64
	// late counts deliveries more than lateAfter after their send.
	late atomic.Int64
	// sendErrors counts every send answered with an error; refused those
	// of them the server refused for load (unavailable, rate_limited),
	// which are its promised answer past saturation, not a fault.
	sendErrors atomic.Int64
	refused    map[string]*atomic.Int64
	otherFault atomic.Int64
	lastAck    atomic.Int64 // unix nanoseconds
	lastRecv   atomic.Int64

	mu       sync.Mutex
	errCodes map[string]int64
	faults   []string
}

func newTraffic() *traffic {
	return &traffic{e2e: NewHistogram(), ack: NewHistogram(), errCodes: map[string]int64{},
		refused: map[string]*atomic.Int64{codeUnavailable: {}, codeRateLimited: {}}}
}

// The answers of a server that refuses work for load; lateAfter is when a
// delivery counts as late.
const (
	codeUnavailable = "unavailable"
	codeRateLimited = "rate_limited"
	lateAfter       = time.Second
)

// handle reads one frame of a client in a messaging run.
func (t *traffic) handle(c *client, f inFrame, at time.Time) {
	switch f.Type {
	case "message_received":
		m, ok := t.message(c, f)
		if !ok {
			return
		}
		c.mu.Lock()
		s := c.streams[string(m.channelID)]
		if s != nil {
			s.Live(m.seq)
		}
		c.mu.Unlock()
		if s == nil {
			t.fault("%s got message_received of channel %s it is not subscribed to", c.user.ID, m.channelID)
		}
		t.received.Add(1)
		t.lastRecv.Store(at.UnixNano())
		if sent, ok := bodyStamp(m.body); ok {
			d := at.Sub(sent)
			t.e2e.Record(d)
			if d > lateAfter {
				t.late.Add(1)
			}
		}
		if t.markRead {
			if err := c.send("mark_read", markReadPayload{ChannelID: string(m.channelID), Seq: m.seq}); err != nil {
				t.fault("%s: %v", c.user.ID, err)
				return
			}
			t.marksSent.Add(1)
		}
	case "message_sent":
		m, ok := t.message(c, f)
		if !ok {
			return
		}
		c.mu.Lock()
		if s := c.streams[string(m.channelID)]; s != nil {
			s.Own(m.seq)
		}
		c.mu.Unlock()
		if v, ok := t.channels.Load(string(m.channelID)); ok {
			ch := v.(*benchChannel)
			for cur := ch.maxAcked.Load(); m.seq > cur && !ch.maxAcked.CompareAndSwap(cur, m.seq); cur = ch.maxAcked.Load() {
			}
		}
		t.acked.Add(1)
		t.lastAck.Store(at.UnixNano())
		if sent, ok := bodyStamp(m.body); ok {
			t.ack.Record(at.Sub(sent))
		}
	case "channel_created":
		var p channelCreatedPayload
		if t.decode(c, f, &p) {
			c.subscribe(p.ChannelID, 0)
		}
	case "error":
		var e errorPayload
		if !t.decode(c, f, &e) {
			return
		}
		t.mu.Lock()
		t.errCodes[e.Code]++
		t.mu.Unlock()
		if e.Command == "send_message" {
			t.sendErrors.Add(1)
			if n, ok := t.refused[e.Code]; ok {
				n.Add(1)
			}
			return
		}
		t.fault("%s got error %s (%s) for %q", c.user.ID, e.Code, e.Message, e.Command)
	case "read_marked":
		t.readMarked.Add(1)
	case "read_updated":
		t.readUpdated.Add(1)
	case "member_joined", "member_left", "presence_updated", "typing":
		// Not part of these runs' checks.
	default:
		t.fault("%s got unexpected frame %s", c.user.ID, f.Type)
	}
}

// markReadPayload is the mark_read command.
type markReadPayload struct {
	ChannelID string `json:"channelId"`
	Seq       int64  `json:"seq"`
}

// message returns what the checks need of a message frame: the fast
// path's reading, or encoding/json's for a payload in another layout.
func (t *traffic) message(c *client, f inFrame) (wireMessage, bool) {
	if f.hasMsg {
		return f.msg, true
	}
	var m messagePayload
	if !t.decode(c, f, &m) {
		return wireMessage{}, false
	}
	return wireMessage{channelID: []byte(m.ChannelID), body: []byte(m.Body), seq: m.Seq}, true
}

func (t *traffic) decode(c *client, f inFrame, v any) bool {
	if err := decodePayload(f, v); err != nil {
		t.fault("%s: %v", c.user.ID, err)
		return false
	}
	return true
}

// fault records a protocol violation seen on the read path.
func (t *traffic) fault(format string, args ...any) {
	t.otherFault.Add(1)
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.faults) < maxListed {
		t.faults = append(t.faults, fmt.Sprintf(format, args...))
	}
}

// addChannel registers a created channel so message_sent can raise its
// maxAcked.
func (t *traffic) addChannel(ch *benchChannel) {
	t.channels.Store(ch.id, ch)
}

// report adds the traffic's counts, latencies and faults to a result.
func (t *traffic) report(res *shardResult) {
	res.Counters["acked"] += t.acked.Load()
	res.Counters["received"] += t.received.Load()
	res.Counters["send_errors"] += t.sendErrors.Load()
	res.Counters["late"] += t.late.Load()
	res.Counters["refused_unavailable"] += t.refused[codeUnavailable].Load()
	res.Counters["refused_rate_limited"] += t.refused[codeRateLimited].Load()
	res.Counters["marks_sent"] += t.marksSent.Load()
	res.Counters["read_marked"] += t.readMarked.Load()
	res.Counters["read_updated"] += t.readUpdated.Load()
	res.Histograms["send_to_receive"] = t.e2e.Data()
	res.Histograms["send_to_ack"] = t.ack.Data()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, f := range t.faults {
		res.fail("%s", f)
	}
	if extra := t.otherFault.Load() - int64(len(t.faults)); extra > 0 {
		res.Counters["failures"] += extra
	}
	if n := t.sendErrors.Load() - t.refusals(); n > 0 {
		res.fail("%d send_message commands failed: %s", n, errorSummary(t.errCodes))
	}
}

// refusals is how many sends the server refused for load.
func (t *traffic) refusals() int64 {
	var n int64
	for _, c := range t.refused {
		n += c.Load()
	}
	return n
}

// verify checks every member's stream of every channel against the
// channel's last acknowledged seq.
func verifyChannels(channels []*benchChannel, res *shardResult) {
	for _, ch := range channels {
		upTo := ch.maxAcked.Load()
		for _, c := range ch.members {
			s := c.stream(ch.id)
			if s == nil {
				res.fail("%s was never subscribed to channel %s", c.user.ID, ch.id)
				continue
			}
			c.mu.Lock()
			tally := s.Verify(upTo)
			c.mu.Unlock()
			res.Tally.Add(tally)
			if tally.Failed() && len(res.Failures) < maxListed {
				res.fail("channel %s, member %s: up to seq %d, %d missing, %d duplicated, %d reordered",
					ch.id, c.user.ID, upTo, tally.Missing, tally.Duplicates, tally.Reordered)
			}
		}
	}
}

// allCaughtUp reports whether every member holds every acknowledged seq.
func allCaughtUp(channels []*benchChannel) bool {
	for _, ch := range channels {
		upTo := ch.maxAcked.Load()
		for _, c := range ch.members {
			c.mu.Lock()
			s := c.streams[ch.id]
			ok := s != nil && s.CaughtUp(upTo)
			c.mu.Unlock()
			if !ok {
				return false
			}
		}
	}
	return true
}

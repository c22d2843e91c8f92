package main

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// slotQueue is how many sends may wait for one sender's goroutine before
// the pacer counts the send as skipped (the client, not the server, could
// not keep up).
const slotQueue = 64

// writeTimeout bounds one frame write; the library closes a connection
// whose write times out.
const writeTimeout = 10 * time.Second

// sendSlot is one (client, channel) pair that sends messages.
type sendSlot struct {
	client  *client
	channel *benchChannel
	queue   chan time.Time
}

// pacer sends messages at a fixed total rate, open loop: message k is due
// at start + k/rate whether or not earlier ones were answered, and its
// body carries that due time, not the time the write happened. A server
// (or client) that falls behind therefore shows up in the latency instead
// of quietly lowering the rate (no coordinated omission).
type pacer struct {
	rate     float64
	bodySize int
	slots    []*sendSlot

	issued  atomic.Int64 // handed to a sender goroutine
	skipped atomic.Int64 // dropped because the sender's queue was full
	written atomic.Int64 // written to the socket
	failed  atomic.Int64 // write errors
	nextID  atomic.Int64
}

func newPacer(rate float64, bodySize int, slots []*sendSlot) *pacer {
	for _, s := range slots {
		s.queue = make(chan time.Time, slotQueue)
	}
	return &pacer{rate: rate, bodySize: bodySize, slots: slots}
}

// run paces sends until ctx ends, then waits for the queued ones to be
// written.
func (p *pacer) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, s := range p.slots {
		wg.Go(func() { p.drain(s) })
	}
	defer func() {
		for _, s := range p.slots {
			close(s.queue)
		}
		wg.Wait()
	}()
	if p.rate <= 0 || len(p.slots) == 0 {
		<-ctx.Done()
		return
	}
	start := time.Now()
	interval := time.Duration(float64(time.Second) / p.rate)
	var k int64
	for {
		due := start.Add(time.Duration(k) * interval)
		if wait := time.Until(due); wait > 0 {
			// Sleep at least a millisecond: below that, the timer costs
			// more than batching the sends that fell due meanwhile.
			select {
			case <-time.After(max(wait, time.Millisecond)):
			case <-ctx.Done():
				return
			}
		}
		if ctx.Err() != nil {
			return
		}
		for now := time.Now(); !due.After(now); due = start.Add(time.Duration(k) * interval) {
			s := p.slots[k%int64(len(p.slots))]
			select {
			case s.queue <- due:
				p.issued.Add(1)
			default:
				p.skipped.Add(1)
			}
			k++
		}
	}
}

// drain writes one slot's sends.
func (p *pacer) drain(s *sendSlot) {
	for due := range s.queue {
		msg := sendMessagePayload{
			ChannelID:       s.channel.id,
			Body:            stampBody(due, p.bodySize),
			ClientMessageID: "m" + strconv.FormatInt(p.nextID.Add(1), 10),
		}
		if err := s.client.send("send_message", msg); err != nil {
			p.failed.Add(1)
			continue
		}
		p.written.Add(1)
	}
}

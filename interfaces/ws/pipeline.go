package ws

import (
	"sync"
	"time"

	"github.com/chatd/chat/domain"
)

// Pipelining (protocol v1.1): a connection's commands run concurrently, so
// one busy connection is not capped at one commit per command, with one
// rule of order: the sends of a connection to one channel are stored in
// the order their frames came.
const (
	// maxInFlight bounds a connection's commands in flight; the protocol
	// promises at least 64.
	maxInFlight = 64
	// inFlightRetryAfter is the hint given with a refusal past that bound:
	// a moment for some of the 64 to finish.
	inFlightRetryAfter = 50 * time.Millisecond
	// commandTimeout bounds one command. Every command is answered within
	// 10 s of its frame's arrival, whatever the load; the margin is for
	// queueing the reply.
	commandTimeout = 9 * time.Second
)

// errTooManyInFlight refuses a command past maxInFlight.
var errTooManyInFlight = domain.Overloaded(inFlightRetryAfter,
	"more than %d commands in flight on this connection; retry after the others are answered", maxInFlight)

// pipeline is one session's commands in flight.
type pipeline struct {
	slots chan struct{}
	// running counts the admitted commands until their replies are
	// queued, for wait.
	running sync.WaitGroup

	mu sync.Mutex
	// tails holds, per channel, the signal of the connection's latest
	// send to it, closed once that send holds its place in the channel's
	// order; the next send to the channel waits for it.
	tails map[string]chan struct{}
}

func newPipeline() *pipeline {
	return &pipeline{slots: make(chan struct{}, maxInFlight), tails: make(map[string]chan struct{})}
}

// admit takes a slot for a command; false when maxInFlight are in flight.
func (p *pipeline) admit() bool {
	select {
	case p.slots <- struct{}{}:
		p.running.Add(1)
		return true
	default:
		return false
	}
}

// release gives an admitted command's slot back. It comes before the
// reply is queued: a client that keeps 64 in flight may send the next
// command as soon as it reads a reply.
func (p *pipeline) release() { <-p.slots }

// finished records that an admitted command's reply is queued.
func (p *pipeline) finished() { p.running.Done() }

// wait returns once every admitted command's reply is queued.
func (p *pipeline) wait() { p.running.Wait() }

// chain puts a send to channelID behind the connection's earlier sends to
// it. It returns the signal to wait for before starting (nil when there
// is no earlier send in flight) and ordered, which gives this send's own
// signal: call it once the send holds its place (the store does), and
// again, harmlessly, when the command ends, in case it failed before.
func (p *pipeline) chain(channelID string) (prev <-chan struct{}, ordered func()) {
	mine := make(chan struct{})
	p.mu.Lock()
	if tail, ok := p.tails[channelID]; ok {
		prev = tail
	}
	p.tails[channelID] = mine
	p.mu.Unlock()
	var once sync.Once
	ordered = func() {
		once.Do(func() {
			close(mine)
			p.mu.Lock()
			if p.tails[channelID] == mine {
				delete(p.tails, channelID) // nothing waits behind it
			}
			p.mu.Unlock()
		})
	}
	return prev, ordered
}

package main

import "math/bits"

// Stream checks what one connection (or one client across reconnects) got
// of one channel against the protocol's promises: every seq above the
// position it subscribed at arrives exactly once, and message_received
// frames arrive in strictly increasing seq on one connection.
//
// Three sources feed it: Live (message_received), Own (the seq in this
// client's message_sent replies: its own messages never come back as
// message_received) and History (get_messages pages during a catch-up).
// Own and History seqs may come in any order relative to Live ones; only
// the live stream of one connection must be ordered. Verify then checks
// that the union covers every seq up to the channel's last acknowledged
// one, with no seq seen twice. Not safe for concurrent use: the client
// guards its streams with its own mutex.
type Stream struct {
	start      int64 // the channel's lastSeq when subscribed: seqs above it are expected
	lastLive   int64 // highest seq of message_received on the current connection
	contiguous int64 // every seq in (start, contiguous] has been seen
	maxSeen    int64
	seen       []uint64 // bit k: seq start+1+k has been seen

	duplicates int64
	reordered  int64
	delivered  int64 // distinct seqs seen, from any source
}

// NewStream starts checking a channel from lastSeq, the position the
// connection was subscribed at (ready, or 0 for a channel it just created
// or was added to).
func NewStream(lastSeq int64) *Stream {
	return &Stream{start: lastSeq, lastLive: lastSeq, contiguous: lastSeq, maxSeen: lastSeq}
}

// Live records a message_received. A seq at or below the last live one is
// a duplicate when it was seen before, else a reordering.
func (s *Stream) Live(seq int64) {
	if seq <= s.lastLive {
		if s.mark(seq) {
			s.reordered++
		}
		return
	}
	s.lastLive = seq
	s.mark(seq)
}

// Own records the seq of this client's own message_sent.
func (s *Stream) Own(seq int64) { s.mark(seq) }

// History records a message read with get_messages.
func (s *Stream) History(seq int64) { s.mark(seq) }

// Resubscribed notes a new connection whose ready announced lastSeq for
// the channel: its live stream starts there, so ordering restarts, while
// the seqs seen before stay seen.
func (s *Stream) Resubscribed(lastSeq int64) {
	s.lastLive = lastSeq
}

// MaxSeen is the highest seq seen from any source: where a catch-up with
// get_messages starts (afterSeq).
func (s *Stream) MaxSeen() int64 { return s.maxSeen }

// CaughtUp reports whether every seq in (start, upTo] has been seen.
func (s *Stream) CaughtUp(upTo int64) bool { return s.contiguous >= upTo }

// mark sets seq's bit and reports whether it was new; a repeat counts as a
// duplicate, a seq at or below start (delivered before the subscription
// began) too.
func (s *Stream) mark(seq int64) (fresh bool) {
	if seq <= s.start {
		s.duplicates++
		return false
	}
	k := seq - s.start - 1
	word, bit := int(k/64), uint(k%64)
	for word >= len(s.seen) {
		s.seen = append(s.seen, 0)
	}
	if s.seen[word]&(1<<bit) != 0 {
		s.duplicates++
		return false
	}
	s.seen[word] |= 1 << bit
	s.delivered++
	s.maxSeen = max(s.maxSeen, seq)
	s.advance()
	return true
}

// advance moves the contiguous watermark over the seen bits, a word at a
// time where it can.
func (s *Stream) advance() {
	for {
		k := s.contiguous - s.start
		word, bit := int(k/64), uint(k%64)
		if word >= len(s.seen) {
			return
		}
		run := bits.TrailingZeros64(^(s.seen[word] >> bit))
		if run == 0 {
			return
		}
		if run > 64-int(bit) {
			run = 64 - int(bit)
		}
		s.contiguous += int64(run)
		if int(bit)+run < 64 {
			return
		}
	}
}

// Verify counts what the stream got against what the channel holds:
// upTo is the highest seq any sender had acknowledged.
func (s *Stream) Verify(upTo int64) Tally {
	t := Tally{Streams: 1, Duplicates: s.duplicates, Reordered: s.reordered, Delivered: s.delivered}
	if upTo > s.start {
		t.Expected = upTo - s.start
	}
	for seq := s.contiguous + 1; seq <= upTo; seq++ {
		k := seq - s.start - 1
		word, bit := int(k/64), uint(k%64)
		if word >= len(s.seen) || s.seen[word]&(1<<bit) == 0 {
			t.Missing++
		}
	}
	return t
}

// Tally sums the verdicts of many streams.
type Tally struct {
	Streams    int64 `json:"streams"`
	Expected   int64 `json:"expected"`
	Delivered  int64 `json:"delivered"`
	Missing    int64 `json:"missing"`
	Duplicates int64 `json:"duplicates"`
	Reordered  int64 `json:"reordered"`
}

// Add sums another tally into t.
func (t *Tally) Add(o Tally) {
	t.Streams += o.Streams
	t.Expected += o.Expected
	t.Delivered += o.Delivered
	t.Missing += o.Missing
	t.Duplicates += o.Duplicates
	t.Reordered += o.Reordered
}

// Failed reports whether any message was lost, repeated or reordered.
func (t Tally) Failed() bool {
	return t.Missing > 0 || t.Duplicates > 0 || t.Reordered > 0
}

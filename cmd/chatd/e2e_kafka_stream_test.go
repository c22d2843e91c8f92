package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// received collects one connection's message_received and member_joined
// frames of a channel and its presence_updated frames in a goroutine, so
// that a long stream never fills the test client's buffer. Other frames
// are dropped. Stop it before using the client for requests again.
type received struct {
	channelID string
	mu        sync.Mutex
	msgs      []messagePayload
	joined    []string // user ids of member_joined
	presence  []presencePayload
	closed    bool
	closedBy  error // the client's read error once closed
	notify    chan struct{}
	stop      chan struct{}
	done      chan struct{}
}

func collect(c *client, channelID string) *received {
	c.t.Helper()
	if len(c.pending) > 0 {
		c.t.Fatalf("collect: %d frames already pending", len(c.pending))
	}
	r := &received{channelID: channelID, notify: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for {
			select {
			case <-r.stop:
				return
			case f, ok := <-c.frames:
				if !ok {
					r.mu.Lock()
					r.closed, r.closedBy = true, c.readErr
					r.mu.Unlock()
					r.signal()
					return
				}
				var p presencePayload
				if f.Type == "presence_updated" && json.Unmarshal(f.Payload, &p) == nil {
					r.mu.Lock()
					r.presence = append(r.presence, p)
					r.mu.Unlock()
					r.signal()
					continue
				}
				var j struct{ ChannelID, UserID string }
				if f.Type == "member_joined" && json.Unmarshal(f.Payload, &j) == nil && j.ChannelID == channelID {
					r.mu.Lock()
					r.joined = append(r.joined, j.UserID)
					r.mu.Unlock()
					r.signal()
					continue
				}
				var m messagePayload
				if f.Type != "message_received" || json.Unmarshal(f.Payload, &m) != nil || m.ChannelID != channelID {
					continue
				}
				r.mu.Lock()
				r.msgs = append(r.msgs, m)
				r.mu.Unlock()
				r.signal()
			}
		}
	}()
	return r
}

func (r *received) signal() {
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// halt stops collecting; the client may then be used for requests.
func (r *received) halt() {
	close(r.stop)
	<-r.done
}

// messages returns what arrived so far.
func (r *received) messages() []messagePayload {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]messagePayload(nil), r.msgs...)
}

// waitForSeq waits until a message with seq at least seq arrived and
// returns everything received by then.
func (r *received) waitForSeq(t testing.TB, who string, seq int64, timeout time.Duration) []messagePayload {
	t.Helper()
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		msgs := append([]messagePayload(nil), r.msgs...)
		closed, closedBy := r.closed, r.closedBy
		r.mu.Unlock()
		if len(msgs) > 0 && msgs[len(msgs)-1].Seq >= seq {
			return msgs
		}
		if closed {
			t.Fatalf("%s: connection closed after %d messages, waiting for seq %d: %v", who, len(msgs), seq, closedBy)
		}
		select {
		case <-r.notify:
		case <-deadline:
			t.Fatalf("%s: %d messages within %s, last seq %v, want seq %d", who, len(msgs), timeout, lastSeq(msgs), seq)
		}
	}
}

// statuses returns the presence statuses announced so far for userID, in
// the order they arrived.
func (r *received) statuses(userID string) []string {
	var out []string
	for _, p := range r.presenceOf(userID) {
		out = append(out, p.Status)
	}
	return out
}

// presenceOf returns the presence frames of userID so far, in order.
func (r *received) presenceOf(userID string) []presencePayload {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []presencePayload
	for _, p := range r.presence {
		if p.UserID == userID {
			out = append(out, p)
		}
	}
	return out
}

// waitForStatuses waits until n presence statuses of userID arrived and
// returns them.
func (r *received) waitForStatuses(t testing.TB, who, userID string, n int, timeout time.Duration) []string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		got := r.statuses(userID)
		if len(got) >= n {
			return got
		}
		select {
		case <-r.notify:
		case <-deadline:
			t.Fatalf("%s: presence of %s within %s: %v, want %d statuses", who, userID, timeout, got, n)
		}
	}
}

// waitJoined waits until member_joined of userID arrived.
func (r *received) waitJoined(t testing.TB, who, userID string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		found := slices.Contains(r.joined, userID)
		r.mu.Unlock()
		if found {
			return
		}
		select {
		case <-r.notify:
		case <-deadline:
			t.Fatalf("%s: no member_joined of %s within %s", who, userID, timeout)
		}
	}
}

// isClosed reports whether the connection ended.
func (r *received) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// waitClosed waits until the connection ends.
func (r *received) waitClosed(t testing.TB, who string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for !r.isClosed() {
		select {
		case <-r.notify:
		case <-deadline:
			t.Fatalf("%s: connection still open after %s", who, timeout)
		}
	}
}

func lastSeq(msgs []messagePayload) any {
	if len(msgs) == 0 {
		return "none"
	}
	return msgs[len(msgs)-1].Seq
}

// checkStream fails unless msgs is exactly seqs from..to, each once, in
// order: what one connection must see of a channel.
func checkStream(t testing.TB, who string, msgs []messagePayload, from, to int64) {
	t.Helper()
	if int64(len(msgs)) != to-from+1 {
		t.Fatalf("%s received %d messages, want seqs %d..%d: %v", who, len(msgs), from, to, seqsOf(msgs))
	}
	for i, m := range msgs {
		if m.Seq != from+int64(i) {
			t.Fatalf("%s: message %d has seq %d, want %d (stream %v)", who, i, m.Seq, from+int64(i), seqsOf(msgs))
		}
	}
}

func seqsOf(msgs []messagePayload) []int64 {
	out := make([]int64, len(msgs))
	for i, m := range msgs {
		out[i] = m.Seq
	}
	return out
}

// history pages through a channel's whole history with get_messages.
func history(c *client, channelID string) []messagePayload {
	c.t.Helper()
	return historyAfter(c, channelID, 0)
}

func lastSeqOr0(msgs []messagePayload) int64 {
	if len(msgs) == 0 {
		return 0
	}
	return msgs[len(msgs)-1].Seq
}

// trySend sends a message and waits for its reply, reporting false instead
// of failing when the connection closes first (the node was killed).
func trySend(c *client, channelID, body, clientMessageID string) (messagePayload, bool) {
	id := fmt.Sprintf("r-%d", c.next.Add(1))
	data, err := json.Marshal(map[string]any{"type": "send_message", "requestId": id,
		"payload": map[string]any{"channelId": channelID, "body": body, "clientMessageId": clientMessageID}})
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, data); err != nil {
		return messagePayload{}, false
	}
	deadline := time.After(waitTimeout)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				return messagePayload{}, false
			}
			if f.RequestID != id {
				continue
			}
			if f.Type != "message_sent" {
				c.t.Fatalf("send_message: got %s %s", f.Type, f.Payload)
			}
			var m messagePayload
			f.decode(c.t, &m)
			return m, true
		case <-deadline:
			c.t.Fatalf("no reply to send_message within %s", waitTimeout)
		}
	}
}

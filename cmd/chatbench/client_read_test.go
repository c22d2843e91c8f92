package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestFrameBufferReadsWholeMessages(t *testing.T) {
	buf := &frameBuffer{data: make([]byte, 0, 4)}
	for _, msg := range []string{"", "ack", strings.Repeat("x", 5000), "short"} {
		got, err := buf.readFrom(iotest.OneByteReader(strings.NewReader(msg)))
		if err != nil || string(got) != msg {
			t.Fatalf("readFrom(%d bytes) = %d bytes, %v", len(msg), len(got), err)
		}
	}
	broken := fmt.Errorf("failed to read: %w", io.EOF)
	if _, err := buf.readFrom(io.MultiReader(strings.NewReader("hal"), iotest.ErrReader(broken))); !errors.Is(err, broken) {
		t.Errorf("a wrapped EOF mid-message gave %v, want it as an error", err)
	}
}

func TestReplyOutlivesTheReadBuffer(t *testing.T) {
	var handled []string
	c := newClient(0, user{ID: "u"}, func(_ *client, f inFrame, _ time.Time) {
		handled = append(handled, f.Type)
	})
	c.calls = map[string]waiter{}
	reply := make(chan inFrame, 1)
	c.expect("b1", "", reply)

	data := []byte(`{"type":"channel_created","requestId":"b1","payload":{"channelId":"c1","memberIds":[]}}`)
	event := []byte(`{"type":"message_received","payload":{"channelId":"c1","seq":1}}`)
	for _, frame := range [][]byte{data, event} {
		if !c.handleFrame(frame, time.Now()) {
			t.Fatalf("frame %s refused", frame)
		}
		copy(frame, bytes.Repeat([]byte{'Z'}, len(frame))) // the read loop reuses the buffer
	}
	f := <-reply
	if f.Type != "channel_created" || string(f.Payload) != `{"channelId":"c1","memberIds":[]}` {
		t.Errorf("the call got %s %s", f.Type, f.Payload)
	}
	if len(handled) != 1 || handled[0] != "message_received" {
		t.Errorf("the handler got %v, want the event only", handled)
	}
	if c.handleFrame([]byte(`{"type":`), time.Now()) || c.dropErr == nil {
		t.Error("a frame that is not JSON was accepted")
	}
}

func TestBareRepliesComeWithoutPayloadButErrorsKeepTheirs(t *testing.T) {
	c := newClient(0, user{ID: "u"}, func(*client, inFrame, time.Time) { t.Error("a reply reached the handler") })
	c.calls = map[string]waiter{}
	acks := make(chan inFrame, 2)
	c.expect("h1", "heartbeat_ack", acks)
	c.expect("h2", "heartbeat_ack", acks)
	for _, frame := range []string{
		`{"type":"heartbeat_ack","requestId":"h1","payload":{"serverTime":"2026-11-23T01:02:03.004Z"}}`,
		`{"type":"error","requestId":"h2","payload":{"code":"bad_request","message":"no"}}`,
	} {
		data := []byte(frame)
		c.handleFrame(data, time.Now())
		copy(data, bytes.Repeat([]byte{'Z'}, len(data)))
	}
	if f := <-acks; f.Type != "heartbeat_ack" || f.RequestID != "h1" || f.Payload != nil {
		t.Errorf("ack = %s %s %q, want no payload", f.Type, f.RequestID, f.Payload)
	}
	if f := <-acks; f.Type != "error" || string(f.Payload) != `{"code":"bad_request","message":"no"}` {
		t.Errorf("error reply = %s %q, want its payload", f.Type, f.Payload)
	}
}

package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// frameOf parses a server frame the way the read loop does.
func frameOf(t *testing.T, data string) inFrame {
	t.Helper()
	var f inFrame
	if err := parseInFrame([]byte(data), &f); err != nil {
		t.Fatalf("parse %s: %v", data, err)
	}
	return f
}

func receivedFrame(t *testing.T, channelID string, seq int64, sent time.Time) inFrame {
	t.Helper()
	payload, err := json.Marshal(map[string]any{"channelId": channelID, "messageId": "m", "senderId": "u1",
		"body": stampBody(sent, 32), "createdAt": sent.UTC().Format(time.RFC3339Nano), "seq": seq})
	if err != nil {
		t.Fatal(err)
	}
	return frameOf(t, `{"type":"message_received","payload":`+string(payload)+`}`)
}

func TestTrafficCountsRefusalsApartFromFailures(t *testing.T) {
	tr := newTraffic()
	c := newClient(0, user{ID: "u1"}, nil)
	for _, f := range []string{
		`{"type":"error","requestId":"1","payload":{"code":"unavailable","message":"lane full","command":"send_message","retryAfterMs":200}}`,
		`{"type":"error","requestId":"2","payload":{"code":"unavailable","message":"64 in flight","command":"send_message","retryAfterMs":50}}`,
		`{"type":"error","requestId":"3","payload":{"code":"rate_limited","message":"slow down","command":"send_message","retryAfterMs":50}}`,
	} {
		tr.handle(c, frameOf(t, f), time.Now())
	}
	res := newShardResult()
	tr.report(&res)
	if res.Counters["refused_unavailable"] != 2 || res.Counters["refused_rate_limited"] != 1 || res.Counters["send_errors"] != 3 {
		t.Errorf("counters %v, want 2 unavailable and 1 rate_limited of 3 send errors", res.Counters)
	}
	if len(res.Failures) != 0 {
		t.Errorf("refusals for load are the server's promised answer, not failures: %v", res.Failures)
	}

	tr.handle(c, frameOf(t, `{"type":"error","requestId":"4","payload":{"code":"forbidden","message":"not a member","command":"send_message"}}`), time.Now())
	res = newShardResult()
	tr.report(&res)
	if len(res.Failures) != 1 || !strings.Contains(res.Failures[0], "1 send_message commands failed") {
		t.Errorf("failures %v, want the one forbidden send", res.Failures)
	}
}

func TestTrafficCountsLateDeliveries(t *testing.T) {
	tr := newTraffic()
	c := newClient(0, user{ID: "u2"}, nil)
	c.subscribe("c1", 0)
	now := time.Now()
	tr.handle(c, receivedFrame(t, "c1", 1, now.Add(-10*time.Millisecond)), now)
	tr.handle(c, receivedFrame(t, "c1", 2, now.Add(-lateAfter-time.Millisecond)), now)
	tr.handle(c, receivedFrame(t, "c1", 3, now.Add(-3*time.Second)), now)
	res := newShardResult()
	tr.report(&res)
	if res.Counters["received"] != 3 || res.Counters["late"] != 2 {
		t.Errorf("received %d, late %d; want 3 and 2 (over %s)", res.Counters["received"], res.Counters["late"], lateAfter)
	}
	if h := res.histogram("send_to_receive"); h.Count() != 3 || h.Max() < 3_000_000 {
		t.Errorf("latency histogram has %d values, max %d µs", h.Count(), h.Max())
	}
}

func TestChannelSendersShapes(t *testing.T) {
	p := Params{GroupSize: 50, Senders: 0.2}
	if got := groupSenders(p); got != 10 {
		t.Errorf("group senders from the share = %d, want 10", got)
	}
	p.ChannelSenders = 1
	if got := groupSenders(p); got != 1 {
		t.Errorf("group senders with -channel-senders 1 = %d, want 1", got)
	}
	if got := directSenders(Params{}); got != 2 {
		t.Errorf("direct senders by default = %d, want both", got)
	}
	if got := directSenders(Params{ChannelSenders: 1}); got != 1 {
		t.Errorf("direct senders with -channel-senders 1 = %d", got)
	}
	for _, tc := range []struct {
		scenario string
		p        Params
		ok       bool
	}{
		{"direct", Params{Pairs: 200, ChannelSenders: 1}, true},
		{"direct", Params{Pairs: 200, ChannelSenders: 3}, false},
		{"group", Params{Groups: 4, GroupSize: 50, Senders: 0.2, ChannelSenders: 1}, true},
		{"group", Params{Groups: 4, GroupSize: 50, Senders: 0.2, ChannelSenders: 51}, false},
		{"group", Params{Groups: 4, GroupSize: 50, Senders: 0.2, ChannelSenders: -1}, false},
	} {
		err := scenarios[tc.scenario].validate(&tc.p)
		if (err == nil) != tc.ok {
			t.Errorf("%s %+v: validate = %v, want ok=%v", tc.scenario, tc.p, err, tc.ok)
		}
	}
}

package telemetry

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
)

func TestGatewayMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewGatewayMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.Connected()
	m.Connected()
	m.Closed("4008")
	m.QueueOverflow()
	m.Refused("401")
	m.Command("send_message", "ok", 3*time.Millisecond)
	m.Command("send_message", "forbidden", time.Millisecond)

	got := samples(t, reg, "chatd_ws_")
	want := map[string]float64{
		"chatd_ws_connections{}":                                      1,
		"chatd_ws_connects_total{}":                                   2,
		"chatd_ws_closes_total{code=4008}":                            1,
		"chatd_ws_queue_overflows_total{}":                            1,
		"chatd_ws_refusals_total{reason=401}":                         1,
		"chatd_ws_commands_total{result=ok,type=send_message}":        1,
		"chatd_ws_commands_total{result=forbidden,type=send_message}": 1,
		"chatd_ws_command_duration_seconds_count{type=send_message}":  2,
	}
	// Every close code and refusal reason is a series from the start, at
	// zero, so rate() over them works before the first event.
	for _, code := range closeCodes {
		key := "chatd_ws_closes_total{code=" + code + "}"
		if _, ok := want[key]; !ok {
			want[key] = 0
		}
	}
	for _, reason := range refusalReasons {
		key := "chatd_ws_refusals_total{reason=" + reason + "}"
		if _, ok := want[key]; !ok {
			want[key] = 0
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("samples (-want +got):\n%s", diff)
	}
	if _, err := NewGatewayMetrics(reg); err == nil {
		t.Fatal("registering the gateway metrics twice succeeded")
	}
}

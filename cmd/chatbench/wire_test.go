package main

import (
	"strings"
	"testing"
	"time"
)

func TestBodyStampRoundTrip(t *testing.T) {
	at := time.Unix(1_700_000_000, 123_456_789)
	body := stampBody(at, 64)
	if len(body) != 64 {
		t.Fatalf("body has %d characters, want 64", len(body))
	}
	got, ok := bodyStamp(body)
	if !ok || !got.Equal(at) {
		t.Fatalf("bodyStamp(%q) = %v, %v; want %v", body, got, ok, at)
	}
	if short := stampBody(at, 5); !strings.HasSuffix(short, "|") {
		t.Fatalf("a size below the stamp keeps the whole stamp, got %q", short)
	}
	for _, bad := range []string{"", "hello", "|x", "12a|x", "-|x", "9223372036854775808|x", "123456789012345678901|x"} {
		if _, ok := bodyStamp(bad); ok {
			t.Errorf("bodyStamp(%q) accepted", bad)
		}
	}
}

func TestParseMetricsKeepsUnlabelledSamples(t *testing.T) {
	text := `# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 3.0142464e+07
go_goroutines 12
go_gc_duration_seconds{quantile="0.5"} 0.0001
process_cpu_seconds_total 1.5
broken_line
`
	m, err := parseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if m[metricRSS] != 30142464 || m[metricGoroutines] != 12 || m[metricCPU] != 1.5 {
		t.Fatalf("parsed %v", m)
	}
	if _, ok := m["go_gc_duration_seconds"]; ok {
		t.Fatal("labelled samples must be skipped")
	}
}

func TestShardResultMerge(t *testing.T) {
	a, b := newShardResult(), newShardResult()
	a.Counters["acked"], b.Counters["acked"] = 3, 4
	a.Maxima["ack_span_s"], b.Maxima["ack_span_s"] = 2.5, 1.5
	ha, hb := NewHistogram(), NewHistogram()
	ha.RecordMicros(10)
	hb.RecordMicros(20)
	a.Histograms["e2e"], b.Histograms["e2e"] = ha.Data(), hb.Data()
	a.note("same note")
	b.note("same note")
	b.fail("lost %d", 1)
	sum := newShardResult()
	sum.merge(a)
	sum.merge(b)
	if sum.Counters["acked"] != 7 || sum.Maxima["ack_span_s"] != 2.5 || sum.Counters["failures"] != 1 {
		t.Fatalf("merged counters %v maxima %v", sum.Counters, sum.Maxima)
	}
	if h := sum.histogram("e2e"); h.Count() != 2 || h.Max() != 20 {
		t.Fatalf("merged histogram count %d max %d", h.Count(), h.Max())
	}
	if len(sum.Notes) != 1 || len(sum.Failures) != 1 {
		t.Fatalf("notes %v failures %v", sum.Notes, sum.Failures)
	}
}

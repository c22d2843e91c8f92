package telemetry

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatd/chat/domain"
)

// samples returns the value of every counter and gauge sample of the
// families whose name starts with prefix, keyed by name{label=value,...};
// a histogram counts as its _count.
func samples(t *testing.T, reg *prometheus.Registry, prefix string) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if !strings.HasPrefix(f.GetName(), prefix) {
			continue
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			key := f.GetName() + "{" + strings.Join(labels, ",") + "}"
			switch {
			case m.GetCounter() != nil:
				out[key] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[key] = m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				out[f.GetName()+"_count{"+strings.Join(labels, ",")+"}"] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

func TestPresenceMetrics(t *testing.T) {
	reg := NewRegistry()
	online := 7
	m, err := NewPresenceMetrics(reg, "n1", func() int { return online })
	if err != nil {
		t.Fatal(err)
	}
	m.HeartbeatReceived()
	m.HeartbeatReceived()
	m.StatusChanged(domain.PresenceOnline)
	m.Swept(3)
	want := map[string]float64{
		"chatd_presence_heartbeats_total{}":                           2,
		"chatd_presence_changes_total{source=node,status=online}":     1,
		"chatd_presence_changes_total{source=sweeper,status=offline}": 3,
		"chatd_presence_online_users{node=n1}":                        7,
	}
	if diff := cmp.Diff(want, samples(t, reg, "chatd_presence_")); diff != "" {
		t.Fatalf("samples (-want +got):\n%s", diff)
	}
	if _, err := NewPresenceMetrics(reg, "n1", func() int { return 0 }); err == nil {
		t.Fatal("registering the presence metrics twice succeeded")
	}
}

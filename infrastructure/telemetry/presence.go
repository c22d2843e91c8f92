package telemetry

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatd/chat/domain"
)

// PresenceMetrics exports what presence does on this node: online users
// (a gauge read from the tracker at each scrape), heartbeats, and status
// changes by new status and by who decided them (this node's heartbeats
// and timeouts, or the crash sweeper). Rates per second come from
// rate() over the counters.
type PresenceMetrics struct {
	heartbeats prometheus.Counter
	changes    *prometheus.CounterVec
}

// NewPresenceMetrics registers the presence metrics on reg. online reports
// the users online on this node.
func NewPresenceMetrics(reg *prometheus.Registry, nodeID string, online func() int) (*PresenceMetrics, error) {
	m := &PresenceMetrics{
		heartbeats: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatd_presence_heartbeats_total",
			Help: "Valid heartbeats received by this node.",
		}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatd_presence_changes_total",
			Help: "Presence status changes written and announced, by new status and source (node: heartbeats and timeouts of this node; sweeper: users of dead nodes).",
		}, []string{"status", "source"}),
	}
	gauge := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "chatd_presence_online_users",
		Help:        "Users online on this node (tracked by its delayed offline trigger).",
		ConstLabels: prometheus.Labels{"node": nodeID},
	}, func() float64 { return float64(online()) })
	for _, c := range []prometheus.Collector{m.heartbeats, m.changes, gauge} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register presence metrics: %w", err)
		}
	}
	return m, nil
}

// HeartbeatReceived counts one heartbeat.
func (m *PresenceMetrics) HeartbeatReceived() { m.heartbeats.Inc() }

// StatusChanged counts one announced change decided by this node.
func (m *PresenceMetrics) StatusChanged(status domain.PresenceStatus) {
	m.changes.WithLabelValues(string(status), "node").Inc()
}

// Swept counts users the crash sweeper took offline.
func (m *PresenceMetrics) Swept(n int) {
	m.changes.WithLabelValues(string(domain.PresenceOffline), "sweeper").Add(float64(n))
}

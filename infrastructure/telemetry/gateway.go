package telemetry

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// GatewayMetrics exports what the WebSocket gateway does: open
// connections, connects and closes by close code, refused connects by
// reason, commands by type and result with their duration, and outgoing
// queue overflows. It implements ws.Metrics.
type GatewayMetrics struct {
	open      prometheus.Gauge
	connects  prometheus.Counter
	closes    *prometheus.CounterVec
	refusals  *prometheus.CounterVec
	commands  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	overflows prometheus.Counter
}

// closeCodes and refusalReasons are the label values exported from the
// start, at zero, so that rate() and alerts see a series before the first
// event (the gateway never passes values outside these sets and "other").
var (
	closeCodes     = []string{"1000", "1001", "1002", "1005", "1006", "1007", "1009", "1011", "1012", "4001", "4008", "4009", "4010", "other"}
	refusalReasons = []string{"401", "403", "429", "4010", "500", "503"}
)

// NewGatewayMetrics registers the gateway metrics on reg.
func NewGatewayMetrics(reg prometheus.Registerer) (*GatewayMetrics, error) {
	m := &GatewayMetrics{
		open: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chatd_ws_connections",
			Help: "WebSocket connections open on this node.",
		}),
		connects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatd_ws_connects_total",
			Help: "WebSocket connections upgraded and given a session.",
		}),
		closes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatd_ws_closes_total",
			Help: "WebSocket sessions ended, by close code (1000 also when the client closed or the connection broke).",
		}, []string{"code"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatd_ws_refusals_total",
			Help: "Connects that got no session, by reason: the HTTP status of the refusal, or 4010 for a redirect to the owning node.",
		}, []string{"reason"}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatd_ws_commands_total",
			Help: "Client commands by type (invalid: did not decode) and result (ok or the protocol error code).",
		}, []string{"type", "result"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "chatd_ws_command_duration_seconds",
			Help:    "Time from reading a command to queueing its reply, by type.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"type"}),
		overflows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatd_ws_queue_overflows_total",
			Help: "Sessions closed with 4008 because their outgoing queue was full.",
		}),
	}
	for _, c := range []prometheus.Collector{m.open, m.connects, m.closes, m.refusals, m.commands, m.durations, m.overflows} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register gateway metrics: %w", err)
		}
	}
	for _, code := range closeCodes {
		m.closes.WithLabelValues(code)
	}
	for _, reason := range refusalReasons {
		m.refusals.WithLabelValues(reason)
	}
	return m, nil
}

// Connected counts an upgraded connection.
func (m *GatewayMetrics) Connected() {
	m.connects.Inc()
	m.open.Inc()
}

// Closed counts a session's end.
func (m *GatewayMetrics) Closed(code string) {
	m.open.Dec()
	m.closes.WithLabelValues(code).Inc()
}

// Refused counts a connect that got no session.
func (m *GatewayMetrics) Refused(reason string) { m.refusals.WithLabelValues(reason).Inc() }

// Command counts one command and observes its duration.
func (m *GatewayMetrics) Command(typ, result string, elapsed time.Duration) {
	m.commands.WithLabelValues(typ, result).Inc()
	m.durations.WithLabelValues(typ).Observe(elapsed.Seconds())
}

// QueueOverflow counts a session closed as a slow consumer.
func (m *GatewayMetrics) QueueOverflow() { m.overflows.Inc() }

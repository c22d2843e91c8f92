package consumer

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	lag             *prometheus.GaugeVec
	deliveryLatency prometheus.Histogram
}

// latencyBuckets spans a healthy local path (a few milliseconds) to a
// broker outage (seconds).
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

func newMetrics(reg prometheus.Registerer) (metrics, error) {
	m := metrics{
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "chatd_kafka_consumer_lag",
			Help: "Records of a partition not yet delivered by this node: high watermark minus the next offset, after the last delivered batch.",
		}, []string{"topic", "partition"}),
		deliveryLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "chatd_delivery_latency_seconds",
			Help:    "Time from a message's commit (its createdAt) until this node handed it to its connections' queues.",
			Buckets: latencyBuckets,
		}),
	}
	for _, c := range []prometheus.Collector{m.lag, m.deliveryLatency} {
		if err := reg.Register(c); err != nil {
			return metrics{}, fmt.Errorf("register consumer metrics: %w", err)
		}
	}
	return m, nil
}

package cluster

import (
	"github.com/prometheus/client_golang/prometheus"
)

// ringCollector exports the ring as this node sees it, read from the
// current View at each scrape: its size, each node's share of the hash
// space (bounded by the cluster's size) and how often it changed.
type ringCollector struct {
	m       *Membership
	nodes   *prometheus.Desc
	share   *prometheus.Desc
	changes *prometheus.Desc
}

// Collector returns the membership's metrics for a registry.
func (m *Membership) Collector() prometheus.Collector {
	self := prometheus.Labels{"node": m.cfg.Self.NodeID}
	return &ringCollector{
		m: m,
		nodes: prometheus.NewDesc("chatd_ring_nodes",
			"Nodes on the consistent hash ring as this node sees it.", nil, self),
		share: prometheus.NewDesc("chatd_ring_share",
			"Fraction of the hash space (and so of the users) each ring member owns, as this node sees it.", []string{"member"}, self),
		changes: prometheus.NewDesc("chatd_ring_changes_total",
			"Times this node rebuilt its ring after a membership change.", nil, self),
	}
}

func (c *ringCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.nodes
	ch <- c.share
	ch <- c.changes
}

func (c *ringCollector) Collect(ch chan<- prometheus.Metric) {
	view := c.m.View()
	ch <- prometheus.MustNewConstMetric(c.nodes, prometheus.GaugeValue, float64(len(view.Members)))
	for member, share := range view.Ring.Shares() {
		ch <- prometheus.MustNewConstMetric(c.share, prometheus.GaugeValue, share, member)
	}
	ch <- prometheus.MustNewConstMetric(c.changes, prometheus.CounterValue, float64(c.m.changes.Load()))
}

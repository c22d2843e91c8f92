// Package peers is the sending end of node-to-node delivery: it posts a
// batch of events to another node's internal endpoint (interfaces/peerapi)
// over kept-alive HTTP connections, authenticated by the cluster secret.
package peers

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatd/chat/domain"
)

// path is where nodes serve interfaces/peerapi (httpapi.InternalPath); the
// cluster tests of cmd/chatd exercise both ends together.
const path = "/internal/v1/events"

// sendTimeout bounds one batch: a node that takes longer is treated as
// failing and the router tries again (or gives up once it left the ring).
const sendTimeout = 5 * time.Second

// Directory finds a node's internal URL.
type Directory interface {
	InternalURL(nodeID string) (string, bool)
}

// Encoder turns an event into its wire form (eventcodec.EncodeEvent).
type Encoder func(domain.Event) ([]byte, error)

// Client sends batches to other nodes. Safe for concurrent use: every
// partition of the fan-out consumer sends on its own, over a shared pool
// of connections per node.
type Client struct {
	dir     Directory
	encode  Encoder
	secret  string
	http    *http.Client
	latency *prometheus.HistogramVec
	failed  *prometheus.CounterVec
}

// New returns a client that authenticates with secret, and registers its
// metrics on reg.
func New(dir Directory, encode Encoder, secret string, reg prometheus.Registerer) (*Client, error) {
	transport := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 32, // one per consumer partition, with room
		IdleConnTimeout:     90 * time.Second,
	}
	c := &Client{
		dir: dir, encode: encode, secret: secret,
		http: &http.Client{Transport: transport},
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "chatd_peer_send_seconds",
			Help:    "Time to hand a batch of events to another node, by node.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"node"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatd_peer_send_failures_total",
			Help: "Batches another node did not take, by node.",
		}, []string{"node"}),
	}
	for _, col := range []prometheus.Collector{c.latency, c.failed} {
		if err := reg.Register(col); err != nil {
			return nil, fmt.Errorf("register peer metrics: %w", err)
		}
	}
	return c, nil
}

// Send posts events to nodeID and returns nil once it answered 204.
func (c *Client) Send(ctx context.Context, nodeID string, events []domain.Event) error {
	err := c.send(ctx, nodeID, events)
	if err != nil {
		c.failed.WithLabelValues(nodeID).Inc()
	}
	return err
}

func (c *Client) send(ctx context.Context, nodeID string, events []domain.Event) error {
	base, ok := c.dir.InternalURL(nodeID)
	if !ok {
		return fmt.Errorf("node %s is unknown", nodeID)
	}
	body, err := c.body(events)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("request to node %s: %w", nodeID, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.secret)
	req.Header.Set("Content-Type", "application/json")
	started := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("send %d events to node %s: %w", len(events), nodeID, err)
	}
	defer resp.Body.Close()
	// Reading the rest lets the connection go back to the pool.
	detail, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("node %s answered %s: %s", nodeID, resp.Status, bytes.TrimSpace(detail))
	}
	c.latency.WithLabelValues(nodeID).Observe(time.Since(started).Seconds())
	return nil
}

// body encodes the batch as a JSON array of encoded events.
func (c *Client) body(events []domain.Event) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, ev := range events {
		if i > 0 {
			buf.WriteByte(',')
		}
		data, err := c.encode(ev)
		if err != nil {
			return nil, fmt.Errorf("encode a %s event: %w", ev.Type, err)
		}
		buf.Write(data)
	}
	buf.WriteByte(']')
	return buf.Bytes(), nil
}

// Close drops the idle connections.
func (c *Client) Close() {
	c.http.CloseIdleConnections()
}

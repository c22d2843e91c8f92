package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/chatd/chat/infrastructure/cluster/etcdtest"
	"github.com/chatd/chat/infrastructure/postgres/pgtest"
)

// Load of the cluster latency benchmark: 40 pairs sharing
// CHAT_BENCH_RATE messages/s (default 2,000).
const (
	clusterBenchPairs = 40
	clusterBenchRate  = 2000
)

// benchRateFromEnv is the total send rate: CHAT_BENCH_RATE or def.
func benchRateFromEnv(b *testing.B, def int) int {
	v := os.Getenv("CHAT_BENCH_RATE")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < clusterBenchPairs {
		b.Fatalf("CHAT_BENCH_RATE=%q: want a whole number of messages/s, at least %d", v, clusterBenchPairs)
	}
	return n
}

// BenchmarkClusterLatency measures send-to-receive latency, from the
// moment the sender writes send_message to the moment the receiver reads
// message_received, at 2,000 messages/s (CHAT_BENCH_RATE) over 40 direct
// channels. single is
// one node (it reads every event and delivers to its own connections);
// cluster is two nodes on a ring, with half the pairs on one node
// (same-node) and half split across the two (cross-node). In the cluster,
// whichever node reads an event's partition routes it: to its own hub, or
// over the internal channel to the recipient's owner. Run it with
//
//	go test ./cmd/chatd -run '^$' -bench ClusterLatency -benchtime 1x
//
// against scripts/pg.sh, scripts/kafka.sh and scripts/etcd.sh. Both nodes
// run in the benchmark's process, so they share its CPU and garbage
// collector.
func BenchmarkClusterLatency(b *testing.B) {
	for _, mode := range []string{"single", "cluster"} {
		b.Run(mode, func(b *testing.B) {
			for b.Loop() {
				benchClusterLatency(b, mode)
			}
		})
	}
}

// benchPair is one direct channel: a sends, b receives.
type benchPair struct {
	class     string // "same-node", "cross-node" or "single"
	channelID string
	a, b      *client
}

func benchClusterLatency(b *testing.B, mode string) {
	base := testConfig(pgtest.NewDatabase(b))
	var nodes []*testServer
	if mode == "single" {
		nodes = []*testServer{startWithConfig(b, base)}
	} else {
		endpoint, prefix := etcdtest.Endpoints(b)[0], etcdtest.Prefix()
		for _, id := range []string{"bench-1", "bench-2"} {
			nodes = append(nodes, startWithConfig(b, clusterConfig(b, base, prefix, endpoint, id)))
		}
		for _, n := range nodes {
			n.waitForRing(len(nodes))
		}
	}
	pairs := make([]*benchPair, clusterBenchPairs)
	for i := range pairs {
		p := &benchPair{class: "single"}
		aNode, bNode := nodes[0], nodes[0]
		if mode == "cluster" {
			// Pairs 0, 4, 8, ... on node 1, 1, 5, ... on node 2: same
			// node; the others split.
			aNode, bNode = nodes[i%2], nodes[(i/2)%2]
			p.class = "cross-node"
			if aNode == bNode {
				p.class = "same-node"
			}
		}
		_, aToken := placedUser(b, aNode, mode)
		bID, bToken := placedUser(b, bNode, mode)
		p.a, p.b = aNode.connect(b, aToken), bNode.connect(b, bToken)
		var ch channelPayload
		p.a.mustRequest("create_channel", map[string]any{"channelType": "direct", "memberIds": []string{bID}}, "channel_created", &ch)
		p.b.awaitType("channel_created")
		p.channelID = ch.ChannelID
		pairs[i] = p
	}

	var mu sync.Mutex
	latencies := map[string][]time.Duration{}
	perPair := time.Second * clusterBenchPairs / time.Duration(benchRateFromEnv(b, clusterBenchRate))
	measureFrom := time.Now().Add(benchWarmUp)
	stopAt := measureFrom.Add(benchDuration)
	var wg sync.WaitGroup
	for i, p := range pairs {
		sent := make(chan int64, 1) // how many the sender sent, once it stopped
		wg.Add(2)
		go func() { // the receiver: every message once, in order
			defer wg.Done()
			var got, want int64 = 0, -1
			deadline := time.After(time.Until(stopAt) + 30*time.Second)
			for got != want {
				select {
				case n := <-sent:
					want = n
				case f, ok := <-p.b.frames:
					if !ok {
						b.Errorf("pair %d: receiver closed after seq %d", i, got)
						return
					}
					if f.Type != "message_received" {
						continue
					}
					now := time.Now()
					var m messagePayload
					if json.Unmarshal(f.Payload, &m) != nil || m.Seq != got+1 {
						b.Errorf("pair %d: got seq %d after %d", i, m.Seq, got)
						return
					}
					got = m.Seq
					at, err := strconv.ParseInt(strings.TrimPrefix(m.Body, "t"), 10, 64)
					if err == nil && time.Unix(0, at).After(measureFrom) {
						mu.Lock()
						latencies[p.class] = append(latencies[p.class], now.Sub(time.Unix(0, at)))
						mu.Unlock()
					}
				case <-deadline:
					b.Errorf("pair %d: received %d of %d messages", i, got, want)
					return
				}
			}
		}()
		go func() { // the sender, paced; its replies are drained
			defer wg.Done()
			go func() {
				for range p.a.frames {
				}
			}()
			tick := time.NewTicker(perPair)
			defer tick.Stop()
			var n int64
			defer func() { sent <- n }()
			for time.Now().Before(stopAt) {
				<-tick.C
				body := fmt.Sprintf(`{"type":"send_message","requestId":"r%d","payload":{"channelId":%q,"body":"t%d","clientMessageId":"%d"}}`,
					n+1, p.channelID, time.Now().UnixNano(), n+1)
				ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
				err := p.a.conn.Write(ctx, websocket.MessageText, []byte(body))
				cancel()
				if err != nil {
					b.Errorf("pair %d: send %d: %v", i, n+1, err)
					return
				}
				n++
			}
		}()
	}
	wg.Wait()
	for class, d := range latencies {
		report(b, class+"-", d)
		b.ReportMetric(float64(len(d))/benchDuration.Seconds(), class+"-msgs/s")
	}
}

// placedUser creates a user that node owns (any user on a single node).
func placedUser(b *testing.B, node *testServer, mode string) (id, token string) {
	if mode == "single" {
		return node.newUser("bench")
	}
	return userOwnedBy(b, node, node.cfg.NodeID)
}

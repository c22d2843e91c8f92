package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/google/wire"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatd/chat/application/chat"
	"github.com/chatd/chat/application/fanout"
	"github.com/chatd/chat/infrastructure/cluster"
	"github.com/chatd/chat/infrastructure/config"
	"github.com/chatd/chat/infrastructure/eventcodec"
	"github.com/chatd/chat/infrastructure/peers"
	"github.com/chatd/chat/infrastructure/postgres"
	"github.com/chatd/chat/interfaces/consumer"
	"github.com/chatd/chat/interfaces/httpapi"
	"github.com/chatd/chat/interfaces/peerapi"
	"github.com/chatd/chat/interfaces/ws"
)

// clusterSet provides the node's membership in the consistent hash ring
// (etcd when ETCD_ENDPOINTS is set, else a ring of this node alone) as the
// "who owns this user" port of discovery and of the WebSocket gateway, the
// live path (a stored message straight to its recipients' nodes, this one
// included), and, in a cluster, direct node-to-node delivery: the fan-out
// router behind the shared consumer group, the client that sends to other
// nodes, the endpoint that receives from them and the migration sweep.
var clusterSet = wire.NewSet(
	provideMembership,
	providePeers,
	postgres.NewMembers,
	provideFanoutRouter,
	provideLivePath,
	provideEventTarget,
	providePeerEndpoint,
	provideClusterWorkers,
	wire.Bind(new(httpapi.Owners), new(*cluster.Membership)),
	wire.Bind(new(ws.Owners), new(*cluster.Membership)),
	wire.Bind(new(fanout.Members), new(*postgres.Members)),
	wire.Bind(new(fanout.Placement), new(*cluster.Membership)),
	wire.Bind(new(fanout.Peers), new(*peers.Client)),
	wire.Bind(new(chat.LivePath), new(*fanout.Live)),
	wire.Bind(new(Announcer), new(*cluster.Membership)),
)

// provideMembership reads the ring before the node serves anyone; the node
// itself joins it when App.Run has opened the listener (Announce). The
// cleanup leaves the ring at once (lease revoked) rather than after the
// lease TTL.
func provideMembership(ctx context.Context, cfg config.Config, registry *prometheus.Registry, logger *slog.Logger) (*cluster.Membership, func(), error) {
	m, err := cluster.Start(ctx, cluster.Config{
		Self: cluster.Member{
			NodeID:      cfg.NodeID,
			WSURL:       cfg.Cluster.WSURL,
			InternalURL: cfg.Cluster.InternalURL,
			Weight:      max(cfg.Cluster.Weight, 1),
		},
		EtcdEndpoints: cfg.Cluster.EtcdEndpoints,
		Prefix:        cfg.Cluster.Prefix,
		VirtualNodes:  cfg.Cluster.VirtualNodes,
		LeaseTTL:      cfg.Cluster.LeaseTTL,
		Grace:         cfg.Cluster.MigrationGrace,
	}, logger)
	if err != nil {
		return nil, nil, err
	}
	if err := registerRingMetrics(m, registry); err != nil {
		m.Close()
		return nil, nil, err
	}
	return m, m.Close, nil
}

func providePeers(cfg config.Config, membership *cluster.Membership, registry *prometheus.Registry) (*peers.Client, func(), error) {
	c, err := peers.New(membership, eventcodec.EncodeEvent, cfg.Cluster.Secret, registry)
	if err != nil {
		return nil, nil, err
	}
	return c, c.Close, nil
}

func provideFanoutRouter(cfg config.Config, hub *ws.Hub, members fanout.Members, placement fanout.Placement, sender fanout.Peers, logger *slog.Logger) *fanout.Router {
	return fanout.NewRouter(cfg.NodeID, hub, members, placement, sender, logger)
}

// provideLivePath hands each stored message to the hubs of its recipients'
// nodes right after the commit: this node's directly, the others' over the
// peer client; the consumer's path stays as the guarantee.
func provideLivePath(cfg config.Config, hub *ws.Hub, members fanout.Members, placement fanout.Placement, sender fanout.Peers, registry *prometheus.Registry, logger *slog.Logger) (*fanout.Live, error) {
	live := fanout.NewLive(cfg.NodeID, hub, members, placement, sender, logger)
	dropped := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "chatd_live_dropped_total",
		Help: "Deliveries the live path left to the durable path (a full queue, a failed members lookup or node send), one per event and node.",
	}, func() float64 { return float64(live.Dropped()) })
	if err := registry.Register(dropped); err != nil {
		return nil, fmt.Errorf("register live path metrics: %w", err)
	}
	return live, nil
}

// provideEventTarget is where the consumer hands what it reads: a single
// node reads every event and delivers to its own hub; in a cluster the
// nodes share the reading and route each event to its recipients' nodes.
func provideEventTarget(cfg config.Config, hub *ws.Hub, router *fanout.Router) consumer.Hub {
	if cfg.Cluster.Clustered() {
		return router
	}
	return hub
}

// peerEndpoint is the internal endpoint other nodes deliver to; nil on a
// single node, which has no peers and no cluster secret.
type peerEndpoint *peerapi.Handler

func providePeerEndpoint(cfg config.Config, hub *ws.Hub, logger *slog.Logger) peerEndpoint {
	if !cfg.Cluster.Clustered() {
		return nil
	}
	return peerapi.NewHandler(hub, eventcodec.DecodeEvent, cfg.Cluster.Secret, logger)
}

// clusterWorkers are the delivery's background loops: the live path's
// dispatcher, the filler of gaps the live path left (from the database,
// read as each stalled stream's user), and the migration sweep in a
// cluster.
type clusterWorkers []namedWorker

func provideClusterWorkers(cfg config.Config, hub *ws.Hub, membership *cluster.Membership, live *fanout.Live, history *chat.Service, logger *slog.Logger) clusterWorkers {
	workers := clusterWorkers{{"live path", live}, {"gap filler", ws.NewGapFiller(hub, history, logger)}}
	if !cfg.Cluster.Clustered() {
		return workers
	}
	return append(workers, namedWorker{"migration sweep", ws.NewMigrator(hub, membership, cfg.NodeID, cfg.Cluster.MigrationGrace, logger)})
}

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/chatd/chat/infrastructure/cluster"
	"github.com/chatd/chat/infrastructure/config"
	"github.com/chatd/chat/interfaces/httpapi"
	"github.com/chatd/chat/interfaces/ws"
)

// clusterSet provides the node's membership in the consistent hash ring
// (etcd when ETCD_ENDPOINTS is set, else a ring of this node alone) as the
// "who owns this user" port of discovery and of the WebSocket gateway.
var clusterSet = wire.NewSet(
	provideMembership,
	wire.Bind(new(httpapi.Owners), new(*cluster.Membership)),
	wire.Bind(new(ws.Owners), new(*cluster.Membership)),
)

// provideMembership joins the ring before the node serves anyone, so the
// first /v1/gateway answer already counts this node; the cleanup leaves
// the ring at once (lease revoked) rather than after the lease TTL.
func provideMembership(ctx context.Context, cfg config.Config, logger *slog.Logger) (*cluster.Membership, func(), error) {
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
	}, logger)
	if err != nil {
		return nil, nil, err
	}
	return m, m.Close, nil
}

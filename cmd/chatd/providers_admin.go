package main

import (
	"github.com/google/wire"

	"github.com/chatd/chat/application/admin"
	"github.com/chatd/chat/infrastructure/cluster"
	"github.com/chatd/chat/infrastructure/postgres"
	"github.com/chatd/chat/interfaces/httpapi"
)

// adminSet provides the admin feature: the operator's use cases over the
// system-role store, and the cluster view they report (the ring of the
// node's cluster membership).
var adminSet = wire.NewSet(
	postgres.NewAdminStore,
	provideShardAdmin,
	admin.NewService,
	provideCluster,
	wire.Bind(new(admin.Store), new(*postgres.AdminStore)),
	wire.Bind(new(admin.ShardMap), new(*postgres.ShardAdmin)),
	wire.Bind(new(httpapi.Admin), new(*admin.Service)),
)

// provideCluster is the cluster the admin API reports: the ring this node
// routes by, so /admin/v1/cluster shows exactly what /v1/gateway uses.
func provideCluster(membership *cluster.Membership) admin.Cluster {
	return membership
}

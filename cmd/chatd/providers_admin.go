package main

import (
	"github.com/google/wire"

	"github.com/chatd/chat/application/admin"
	"github.com/chatd/chat/infrastructure/config"
	"github.com/chatd/chat/infrastructure/postgres"
	"github.com/chatd/chat/interfaces/httpapi"
)

// adminSet provides the admin feature: the operator's use cases over the
// system-role store, and the cluster view they report (this node alone
// until cluster membership provides a ring).
var adminSet = wire.NewSet(
	postgres.NewAdminStore,
	admin.NewService,
	provideCluster,
	wire.Bind(new(admin.Store), new(*postgres.AdminStore)),
	wire.Bind(new(httpapi.Admin), new(*admin.Service)),
)

// provideCluster is the cluster the admin API reports. The cluster issue
// replaces it with the ring watcher.
func provideCluster(cfg config.Config) admin.Cluster {
	return admin.Standalone{NodeID: cfg.NodeID}
}

package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/wire"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/chatd/chat/application/chat"
	"github.com/chatd/chat/application/identity"
	"github.com/chatd/chat/application/typing"
	"github.com/chatd/chat/infrastructure/auth"
	"github.com/chatd/chat/infrastructure/cluster"
	"github.com/chatd/chat/infrastructure/config"
	"github.com/chatd/chat/infrastructure/ids"
	"github.com/chatd/chat/infrastructure/kafka"
	"github.com/chatd/chat/infrastructure/postgres"
	"github.com/chatd/chat/infrastructure/ratelimit"
	"github.com/chatd/chat/infrastructure/telemetry"
	"github.com/chatd/chat/infrastructure/wallclock"
	"github.com/chatd/chat/interfaces/consumer"
	"github.com/chatd/chat/interfaces/httpapi"
	"github.com/chatd/chat/interfaces/origin"
	"github.com/chatd/chat/interfaces/peerapi"
	"github.com/chatd/chat/interfaces/ws"
)

// outboxPollInterval is how often the relay looks for rows nobody woke it
// for (rows left by a crash between commit and delivery).
const outboxPollInterval = 200 * time.Millisecond

// infrastructureSet provides the driven adapters.
var infrastructureSet = wire.NewSet(
	provideDB,
	provideShards,
	provideChatStore,
	postgres.NewUserStore,
	provideRelays,
	provideReconciler,
	postgres.NewShardMover,
	provideLimiter,
	provideJWT,
	telemetry.NewRegistry,
	wire.Struct(new(wallclock.Clock)),
	wire.Struct(new(ids.UUIDs)),
)

// applicationSet provides the use cases.
var applicationSet = wire.NewSet(
	chat.NewService,
	identity.NewService,
	provideTyping,
)

// interfacesSet provides the driving adapters.
var interfacesSet = wire.NewSet(
	ws.NewHub,
	provideSweeper,
	provideGateway,
	provideGatewayMetrics,
	provideRouter,
)

// providerSet is every provider, plus the bindings of concrete adapters to
// the ports their consumers declare: the one place where layers meet.
var providerSet = wire.NewSet(
	infrastructureSet,
	applicationSet,
	interfacesSet,
	kafkaSet,
	presenceSet,
	adminSet,
	clusterSet,
	provideWorkers,
	wire.Bind(new(chat.Store), new(*postgres.ShardedStore)),
	wire.Bind(new(chat.SendLimiter), new(*ratelimit.PerUser)),
	wire.Bind(new(identity.UserStore), new(*postgres.UserStore)),
	wire.Bind(new(identity.Tokens), new(*auth.JWT)),
	wire.Bind(new(identity.IDGenerator), new(ids.UUIDs)),
	wire.Bind(new(identity.Clock), new(wallclock.Clock)),
	wire.Bind(new(ws.ChatService), new(*chat.Service)),
	wire.Bind(new(ws.Authenticator), new(*identity.Service)),
)

// dbConfig is how this node reaches and proves itself to the database. The
// actor key comes from the JWT secret, which every node of a deployment
// shares (see postgres.ActorKey).
func dbConfig(cfg config.Config) postgres.Config {
	return postgres.Config{
		URL:            cfg.DatabaseURL,
		ActorKey:       postgres.ActorKey(cfg.JWTSecret),
		AppPassword:    cfg.DBAppPassword,
		SystemPassword: cfg.DBSystemPassword,
	}
}

func provideDB(ctx context.Context, cfg config.Config, registry *prometheus.Registry, logger *slog.Logger) (*postgres.DB, func(), error) {
	db, err := postgres.Open(ctx, dbConfig(cfg), logger)
	if err != nil {
		return nil, nil, err
	}
	if err := registerDBMetrics(db, registry); err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, func() {
		if err := db.Close(); err != nil {
			logger.Warn("close database", "err", err)
		}
	}, nil
}

// provideWorkers lists every background loop; each feature contributes
// its own list from its provider file.
func provideWorkers(relays *postgres.ShardRelays, reconciler *postgres.Reconciler, mover *postgres.ShardMover, sweeper *ws.Sweeper, kafka kafkaWorkers, presence presenceWorkers, cluster clusterWorkers) []namedWorker {
	workers := []namedWorker{{"outbox relays", relays}, {"session sweep", sweeper}, {"shard reconciler", reconciler}, {"shard mover", mover}}
	workers = append(workers, kafka...)
	workers = append(workers, presence...)
	return append(workers, cluster...)
}

func provideLimiter(cfg config.Config) *ratelimit.PerUser {
	return ratelimit.NewPerUser(cfg.SendRate, cfg.SendBurst)
}

func provideJWT(cfg config.Config) *auth.JWT {
	return auth.NewJWT(cfg.JWTSecret)
}

// provideSweeper returns the sweep that closes connections whose token
// expired or whose client went silent.
func provideSweeper(cfg config.Config, hub *ws.Hub, logger *slog.Logger) *ws.Sweeper {
	return ws.NewSweeper(hub, cfg.HeartbeatInterval, logger)
}

// provideTyping sends typing events where the consumer hands committed
// events (the hub alone, or the ring router in a cluster), but straight
// from the command, without the outbox.
func provideTyping(clock wallclock.Clock, chatService *chat.Service, target consumer.Hub, logger *slog.Logger) *typing.Service {
	return typing.NewService(clock, chatService, target, logger)
}

func provideGateway(cfg config.Config, hub *ws.Hub, chatService ws.ChatService, presenceService ws.PresenceService, typingService *typing.Service, authn ws.Authenticator, owners ws.Owners, metrics ws.Metrics, logger *slog.Logger) (*ws.Gateway, error) {
	return ws.NewGateway(ws.Config{
		NodeID:                cfg.NodeID,
		AllowedOrigins:        cfg.AllowedOrigins,
		PublicURL:             cfg.Cluster.PublicWSURL,
		HeartbeatInterval:     cfg.HeartbeatInterval,
		PresenceTimeout:       cfg.PresenceTimeout,
		Owners:                owners,
		MaxConnectionsPerUser: cfg.MaxConnectionsPerUser,
		Typing:                typingService,
		Metrics:               metrics,
	}, hub, chatService, presenceService, authn, logger)
}

func provideRouter(cfg config.Config, identityService *identity.Service, adminService httpapi.Admin, owners httpapi.Owners, gateway *ws.Gateway, db *postgres.DB, broker *kafka.Cluster, membership *cluster.Membership, peers peerEndpoint, registry *prometheus.Registry, logger *slog.Logger) http.Handler {
	var internal http.Handler
	if peers != nil {
		internal = (*peerapi.Handler)(peers)
	}
	return httpapi.NewRouter(httpapi.Deps{
		Internal:   internal,
		Identity:   identityService,
		Admin:      adminService,
		Owners:     owners,
		Gateway:    gateway,
		Checks:     map[string]httpapi.Pinger{"database": db, "broker": broker, "cluster": membership},
		AdminToken: cfg.AdminToken,
		NodeID:     cfg.NodeID,
		Version:    version(),
		Origins:    origin.NewPolicy(cfg.AllowedOrigins, cfg.Cluster.PublicWSURL),
		Metrics:    promhttp.HandlerFor(registry, promhttp.HandlerOpts{Registry: registry}),
		WebDir:     cfg.WebDir,
		Logger:     logger,
	})
}

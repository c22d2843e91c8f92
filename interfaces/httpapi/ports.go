package httpapi

import (
	"context"
	"time"

	"github.com/chatd/chat/application/admin"
	"github.com/chatd/chat/domain"
)

// Identity is what the REST side needs of the identity use cases.
type Identity interface {
	CreateUser(ctx context.Context, id, name string) (domain.User, error)
	User(ctx context.Context, id string) (domain.User, error)
	IssueToken(ctx context.Context, userID string, ttl time.Duration) (string, time.Time, error)
	Authenticate(ctx context.Context, token string) (domain.User, error)
}

// Pinger is a dependency /readyz checks, such as the database.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Admin is what the admin endpoints need of the operator's use cases.
type Admin interface {
	Users(ctx context.Context, q admin.ListQuery) (admin.Listing[domain.User], error)
	Channels(ctx context.Context, q admin.ChannelQuery) (admin.Listing[admin.ChannelSummary], error)
	Channel(ctx context.Context, channelID string) (admin.ChannelDetail, error)
	Messages(ctx context.Context, channelID string, afterSeq, beforeSeq *int64, limit *int) ([]domain.Message, bool, error)
	RemoveMember(ctx context.Context, channelID, userID string) error
	Presence(ctx context.Context, userID string) (admin.Presence, error)
	Nodes(ctx context.Context) ([]admin.Node, error)
	Shards(ctx context.Context) (admin.ShardStatus, error)
	AddShard(ctx context.Context, id, url string, weight int) (admin.Shard, error)
	DrainShard(ctx context.Context, id string) error
	SetShardWeight(ctx context.Context, id string, weight int) (admin.Shard, error)
}

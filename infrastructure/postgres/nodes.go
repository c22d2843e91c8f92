package postgres

import (
	"context"
	"log/slog"
	"time"

	"github.com/chatd/chat/retry"
)

// Defaults of node liveness and the presence sweeper.
const (
	DefaultNodeHeartbeatInterval = 5 * time.Second
	DefaultNodeGrace             = time.Minute
	DefaultSweepInterval         = 30 * time.Second
)

// NodeLiveness keeps this gateway node's row in nodes fresh, so the
// presence sweeper can tell a live node from one that crashed. Register
// must succeed before the node owns any user; Run then refreshes the row
// every interval.
type NodeLiveness struct {
	db       *DB
	nodeID   string
	interval time.Duration
	grace    time.Duration
	onResume func()
	logger   *slog.Logger
}

// NewNodeLiveness builds the liveness writer of nodeID. grace is the
// sweeper's: a beat that finds the previous one older than grace (or the
// row gone) means the cluster may have taken this node for dead and swept
// its users, so onResume (if not nil) is called to announce them again.
func NewNodeLiveness(db *DB, nodeID string, interval, grace time.Duration, onResume func(), logger *slog.Logger) *NodeLiveness {
	if interval <= 0 {
		interval = DefaultNodeHeartbeatInterval
	}
	if grace <= 0 {
		grace = DefaultNodeGrace
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &NodeLiveness{db: db, nodeID: nodeID, interval: interval, grace: grace, onResume: onResume,
		logger: logger.With(slog.String("component", "node_liveness"), slog.String("node", nodeID))}
}

// Register writes the node's row as just started.
func (n *NodeLiveness) Register(ctx context.Context) error {
	_, err := n.beat(ctx, true)
	return err
}

// Beat refreshes the node's row and reports whether the previous beat was
// missing or older than the grace period.
func (n *NodeLiveness) Beat(ctx context.Context) (stale bool, err error) {
	return n.beat(ctx, false)
}

func (n *NodeLiveness) beat(ctx context.Context, starting bool) (bool, error) {
	var res struct {
		Missing bool `gorm:"column:missing"`
		Stale   bool `gorm:"column:stale"`
	}
	err := n.db.system.WithContext(ctx).Raw(`WITH prev AS (SELECT heartbeat_at FROM nodes WHERE node_id = ?)
		INSERT INTO nodes AS n (node_id, started_at, heartbeat_at) VALUES (?, now(), now())
		ON CONFLICT (node_id) DO UPDATE
		   SET heartbeat_at = now(),
		       started_at = CASE WHEN ? THEN now() ELSE n.started_at END
		RETURNING NOT EXISTS (SELECT 1 FROM prev) AS missing,
		          coalesce((SELECT heartbeat_at < now() - make_interval(secs => ?) FROM prev), false) AS stale`,
		n.nodeID, n.nodeID, starting, n.grace.Seconds()).Scan(&res).Error
	if err != nil {
		return false, classify("record liveness of node "+n.nodeID, err)
	}
	return !starting && (res.Missing || res.Stale), nil
}

// Run beats every interval until ctx ends. A failed beat is logged (once
// until it recovers) and retried at the next interval: the node keeps
// serving, and if it stays silent past the grace period its users are
// swept, then announced again by onResume when the beats come back.
func (n *NodeLiveness) Run(ctx context.Context) error {
	edge := retry.NewEdge(n.logger, slog.LevelError, "node liveness")
	return retry.Every(ctx, n.interval, edge, func(ctx context.Context) error {
		stale, err := n.Beat(ctx)
		if err == nil && stale {
			n.logger.WarnContext(ctx, "this node looked dead to the cluster; announcing its users again")
			if n.onResume != nil {
				n.onResume()
			}
		}
		return err
	})
}

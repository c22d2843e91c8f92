package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/retry"
)

// reconcileActor is the actor_id of the events the reconciler records.
// User ids cannot contain '/', so it never names a user.
const reconcileActor = "/reconcile"

// The reconciler's defaults: the grace is well past the longest a command
// may take (its 9 s timeout), so a repair never overtakes a live request.
const (
	DefaultReconcileGrace    = 30 * time.Second
	DefaultReconcileInterval = 5 * time.Second
)

// reconcileBatch bounds the channels one round repairs.
const reconcileBatch = 100

// Reconciler completes the membership changes a shard missed: for every
// directory index row marked pending for longer than grace (the request
// that marked it died or its shard failed), it makes the shard's channel
// and memberships match the index, records the events the shard's clients
// would have had, and clears the mark. See ShardedStore for the order of
// writes it repairs. Every node runs one; they may repair the same channel
// at once, which the shard's row lock makes harmless.
type Reconciler struct {
	shards   *Shards
	grace    time.Duration
	interval time.Duration
	logger   *slog.Logger
}

// NewReconciler returns a reconciler of the shards' index (zero grace or
// interval: the defaults). grace must be longer than any request takes
// (the command timeout), so that it never races a request still writing.
func NewReconciler(shards *Shards, grace, interval time.Duration, logger *slog.Logger) *Reconciler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if grace <= 0 {
		grace = DefaultReconcileGrace
	}
	if interval <= 0 {
		interval = DefaultReconcileInterval
	}
	return &Reconciler{shards: shards, grace: grace, interval: interval,
		logger: logger.With(slog.String("component", "shard_reconciler"))}
}

// Run repairs every interval until ctx ends.
func (r *Reconciler) Run(ctx context.Context) error {
	edge := retry.NewEdge(r.logger, slog.LevelError, "shard index reconcile")
	return retry.Every(ctx, r.interval, edge, func(ctx context.Context) error {
		n, err := r.Reconcile(ctx)
		if n > 0 {
			r.logger.InfoContext(ctx, "completed membership changes on shards", slog.Int("channels", n))
		}
		return err
	})
}

// indexRow is a directory index row the reconciler compares.
type indexRow struct {
	ID        string         `gorm:"column:id"`
	ShardID   string         `gorm:"column:shard_id"`
	Type      string         `gorm:"column:type"`
	Name      sql.NullString `gorm:"column:name"`
	DirectKey sql.NullString `gorm:"column:direct_key"`
	CreatedAt time.Time      `gorm:"column:created_at"`
	Pending   time.Time      `gorm:"column:pending_since"`
}

// Reconcile repairs the channels marked pending for longer than grace and
// returns how many it repaired.
func (r *Reconciler) Reconcile(ctx context.Context) (int, error) {
	var rows []indexRow
	err := r.shards.dir.system.WithContext(ctx).Raw(`SELECT id::text AS id, shard_id, type, name, direct_key, created_at, pending_since
		FROM channels WHERE pending_since < now() - make_interval(secs => ?) ORDER BY pending_since LIMIT ?`,
		r.grace.Seconds(), reconcileBatch).Scan(&rows).Error
	if err != nil {
		return 0, classify("find pending channel index rows", err)
	}
	done := 0
	for _, row := range rows {
		if err := r.repair(ctx, row); err != nil {
			return done, fmt.Errorf("channel %s on shard %s: %w", row.ID, row.ShardID, err)
		}
		done++
	}
	return done, nil
}

// repair makes one channel's shard match the index. The index's members
// are read under the shard's row lock of the channel: a request that
// changes the membership after that read writes the shard after this
// transaction, so the repair never undoes a newer change.
func (r *Reconciler) repair(ctx context.Context, row indexRow) error {
	sh, err := r.shards.resolve(ctx, row.ShardID)
	if err != nil {
		return err
	}
	// Read once to copy the users outside the shard's transaction, and
	// again under its row lock for the repair itself; a member added in
	// between and not copied fails the repair, which the next round redoes.
	want, err := r.indexMembers(ctx, row.ID)
	if err != nil {
		return err
	}
	if err := r.shards.copyUsers(ctx, sh, want); err != nil {
		return err
	}
	err = sh.db.inSystemTx(ctx, func(tx *gorm.DB) error {
		_, found, err := selectChannel(tx, row.ID, true)
		if err != nil {
			return err
		}
		if want, err = r.indexMembers(ctx, row.ID); err != nil {
			return err
		}
		if !found {
			return createFromIndex(tx, row, want)
		}
		return matchMembers(tx, row.ID, want)
	})
	if err != nil {
		return classify("repair the shard's channel", err)
	}
	sh.db.wakeRelay()
	return r.shards.dir.settle(ctx, row.ID, row.Pending)
}

func (r *Reconciler) indexMembers(ctx context.Context, id string) ([]string, error) {
	members := []string{}
	err := r.shards.dir.system.WithContext(ctx).
		Raw("SELECT user_id FROM memberships WHERE channel_id = ?::uuid ORDER BY joined_at, user_id", id).Scan(&members).Error
	if err != nil {
		return nil, classify("read the index's members", err)
	}
	return members, nil
}

// createFromIndex stores a channel its creator's request never stored on
// the shard, with the index's members, and announces it. An index row
// whose members all left since has nothing to create.
func createFromIndex(tx *gorm.DB, row indexRow, members []string) error {
	if len(members) == 0 {
		return nil
	}
	err := tx.Exec(`INSERT INTO channels (id, type, name, direct_key, created_at) VALUES (?::uuid, ?, ?, ?, ?)`,
		row.ID, row.Type, row.Name, row.DirectKey, row.CreatedAt).Error
	if err != nil {
		return fmt.Errorf("create channel: %w", err)
	}
	for _, userID := range members {
		if err := tx.Exec("INSERT INTO memberships (channel_id, user_id) VALUES (?::uuid, ?)", row.ID, userID).Error; err != nil {
			return fmt.Errorf("add member: %w", err)
		}
	}
	ch, err := systemChannel(tx, row.ID)
	if err != nil {
		return err
	}
	return writeOutbox(tx, reconcileActor, domain.Event{Type: domain.EventChannelCreated, ChannelID: row.ID, Channel: &ch})
}

// matchMembers adds and removes the shard's members of a channel until
// they are want, announcing each change like the join or leave it is.
func matchMembers(tx *gorm.DB, id string, want []string) error {
	have, err := channelMembers(tx, id)
	if err != nil {
		return err
	}
	var events []domain.Event
	for _, userID := range have {
		if slices.Contains(want, userID) {
			continue
		}
		if err := tx.Exec("DELETE FROM memberships WHERE channel_id = ?::uuid AND user_id = ?", id, userID).Error; err != nil {
			return fmt.Errorf("remove member: %w", err)
		}
		events = append(events, domain.Event{Type: domain.EventMemberLeft, ChannelID: id, UserID: userID})
	}
	var joined []string
	for _, userID := range want {
		if slices.Contains(have, userID) {
			continue
		}
		if err := tx.Exec("INSERT INTO memberships (channel_id, user_id) VALUES (?::uuid, ?)", id, userID).Error; err != nil {
			return fmt.Errorf("add member: %w", err)
		}
		joined = append(joined, userID)
	}
	if len(joined) > 0 {
		ch, err := systemChannel(tx, id)
		if err != nil {
			return err
		}
		for _, userID := range joined {
			events = append(events, domain.Event{Type: domain.EventMemberJoined, ChannelID: id, Channel: &ch, UserID: userID})
		}
	}
	for _, e := range events {
		if err := writeOutbox(tx, reconcileActor, e); err != nil {
			return err
		}
	}
	return nil
}

// systemChannel reads a channel with its members in a system transaction.
func systemChannel(tx *gorm.DB, id string) (domain.Channel, error) {
	row, found, err := selectChannel(tx, id, false)
	if err != nil {
		return domain.Channel{}, err
	}
	if !found {
		return domain.Channel{}, fmt.Errorf("channel %s vanished while it was repaired", id)
	}
	members, err := channelMembers(tx, id)
	if err != nil {
		return domain.Channel{}, err
	}
	return row.domain(members), nil
}

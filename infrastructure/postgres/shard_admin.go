package postgres

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/chatd/chat/application/admin"
	"github.com/chatd/chat/domain"
)

var _ admin.ShardMap = (*ShardAdmin)(nil)

const (
	// shardOpenTimeout bounds connecting to and migrating a shard being
	// added.
	shardOpenTimeout = 15 * time.Second
	// messagesCountedExactly is how many of a shard's messages a listing
	// counts one by one. A shard holds hundreds of millions, and counting
	// them all read the whole table on every listing (and on every weight
	// change, which answers with the shard's entry); past this the listing
	// gives PostgreSQL's estimate from its statistics instead, which is
	// never below what was counted.
	messagesCountedExactly = 100_000
)

// ShardAdmin is the operator's view of the shard map: listing, adding and
// draining shards (the mover does the moving).
type ShardAdmin struct {
	shards *Shards
	mover  *ShardMover
	// createLocal lets a shard be added without a URL: the service creates
	// its database beside the directory (embedded mode).
	createLocal bool
	// exactMessages is messagesCountedExactly; tests lower it.
	exactMessages int64
}

// NewShardAdmin returns the admin of the shards; createLocal as above.
func NewShardAdmin(shards *Shards, mover *ShardMover, createLocal bool) *ShardAdmin {
	return &ShardAdmin{shards: shards, mover: mover, createLocal: createLocal, exactMessages: messagesCountedExactly}
}

// Shards lists the map with each shard's share of the ring, channel and
// message counts, and the moves in progress.
func (a *ShardAdmin) Shards(ctx context.Context) (admin.ShardStatus, error) {
	if err := a.shards.Refresh(ctx); err != nil {
		return admin.ShardStatus{}, err
	}
	shares := a.shards.shares()
	var status admin.ShardStatus
	for _, sh := range a.shards.all() {
		info, err := a.describe(ctx, sh, shares)
		if err != nil {
			return admin.ShardStatus{}, err
		}
		status.Shards = append(status.Shards, info)
	}
	var moving []journalRow
	err := a.shards.dir.system.WithContext(ctx).
		Raw("SELECT channel_id::text AS channel_id, from_shard, to_shard, switched FROM shard_moves ORDER BY started_at").Scan(&moving).Error
	if err != nil {
		return admin.ShardStatus{}, classify("read the move journal", err)
	}
	for _, m := range moving {
		status.Moving = append(status.Moving, admin.ShardMove{ChannelID: m.ChannelID, From: m.From, To: m.To})
	}
	recent, total, longest := a.mover.Moves()
	status.MovesDone, status.LongestFence = total, longest
	for _, r := range recent {
		status.Recent = append(status.Recent, admin.ShardMove{ChannelID: r.ChannelID, From: r.From, To: r.To, Fence: r.Fence, At: r.At})
	}
	return status, nil
}

// AddShard opens a new shard (migrating it), checks that it holds no
// channel (so that neither the directory nor another shard can be added
// twice), and puts it on the ring: the mover then gives it its share.
func (a *ShardAdmin) AddShard(ctx context.Context, id, rawURL string, weight int) (admin.Shard, error) {
	if !shardIDPattern.MatchString(id) {
		return admin.Shard{}, domain.Errorf(domain.KindValidation, "shard id %q: use 1 to 32 of a-z, 0-9, '-' and '_', starting with a letter or digit", id)
	}
	if weight == 0 {
		weight = 1
	}
	if err := checkWeight(weight); err != nil {
		return admin.Shard{}, err
	}
	if _, err := a.shards.byShardID(id); err == nil {
		return admin.Shard{}, domain.Errorf(domain.KindConflict, "shard %s exists", id)
	}
	if rawURL == "" {
		if !a.createLocal {
			return admin.Shard{}, domain.Errorf(domain.KindValidation, "url is required: only the embedded mode creates a shard's database itself")
		}
		created, err := a.shards.createLocal(ctx, id)
		if err != nil {
			return admin.Shard{}, err
		}
		rawURL = created
	} else if _, err := pgconn.ParseConfig(rawURL); err != nil {
		return admin.Shard{}, domain.Errorf(domain.KindValidation, "url is not a PostgreSQL URL")
	}
	spec := ShardSpec{ID: id, URL: rawURL, Weight: weight, State: ShardActive}
	openCtx, cancel := context.WithTimeout(ctx, shardOpenTimeout)
	sh, err := a.shards.connect(openCtx, spec)
	cancel()
	if err != nil {
		// Unreachable, a wrong password, a missing database, a role that
		// may not migrate: the URL the operator gave does not lead to a
		// usable database, which the service cannot fix by itself.
		return admin.Shard{}, domain.Errorf(domain.KindValidation, "cannot open and migrate the shard's database at that url: %v", err)
	}
	err = a.checkNew(ctx, sh.db)
	sh.db.Close()
	if err != nil {
		return admin.Shard{}, err
	}
	res := a.shards.dir.system.WithContext(ctx).
		Exec("INSERT INTO shards (id, url, weight, state) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING", id, rawURL, weight, ShardActive)
	if res.Error != nil {
		return admin.Shard{}, classify("add the shard to the map", res.Error)
	}
	if res.RowsAffected == 0 {
		return admin.Shard{}, domain.Errorf(domain.KindConflict, "shard %s exists", id)
	}
	if err := a.shards.Refresh(ctx); err != nil {
		return admin.Shard{}, err
	}
	return admin.Shard{ID: id, URL: redact(rawURL), Weight: weight, State: ShardActive, Share: a.shards.shares()[id], Reachable: true}, nil
}

// checkNew refuses a database that is the directory or a shard of the
// map already (under another URL), or that holds channels.
func (a *ShardAdmin) checkNew(ctx context.Context, db *DB) error {
	id, err := db.identity(ctx)
	if err != nil {
		return err
	}
	for _, other := range append(a.shards.all(), a.shards.home) {
		otherID, err := other.db.identity(ctx)
		if err != nil {
			return err
		}
		if otherID == id {
			return domain.Errorf(domain.KindConflict, "the database is the directory or a shard of the map already")
		}
	}
	var held int64
	if err := db.system.WithContext(ctx).Raw("SELECT count(*) FROM channels").Scan(&held).Error; err != nil {
		return classify("check the new shard is empty", err)
	}
	if held > 0 {
		return domain.Errorf(domain.KindConflict, "the database holds %d channels already", held)
	}
	return nil
}

// identity is the database's own id (migration 00012).
func (db *DB) identity(ctx context.Context) (string, error) {
	var id string
	if err := db.system.WithContext(ctx).Raw("SELECT id::text FROM chat_database").Scan(&id).Error; err != nil {
		return "", classify("read the database's identity", err)
	}
	return id, nil
}

// DrainShard takes a shard off the ring: the mover gives all of its
// channels to the others and then removes it from the map.
func (a *ShardAdmin) DrainShard(ctx context.Context, id string) error {
	if _, err := a.mapped(id); err != nil {
		return err
	}
	active := 0
	for _, sh := range a.shards.all() {
		if spec := a.shards.specOf(sh); spec.State == ShardActive && spec.ID != id {
			active++
		}
	}
	if active == 0 {
		return domain.Errorf(domain.KindConflict, "shard %s is the last active shard; add another before draining it", id)
	}
	err := a.shards.dir.system.WithContext(ctx).Exec("UPDATE shards SET state = ? WHERE id = ?", ShardDraining, id).Error
	if err != nil {
		return classify("drain the shard", err)
	}
	return a.shards.Refresh(ctx)
}

// mapped is the shard of the map with id, or not found (the directory,
// when it is no shard of the map, has the empty id).
func (a *ShardAdmin) mapped(id string) (*shard, error) {
	sh, err := a.shards.byShardID(id)
	if err != nil || id == "" {
		return nil, domain.Errorf(domain.KindNotFound, "no shard %q", id)
	}
	return sh, nil
}

// describe reads one shard's entry of the listing: its map entry and share,
// its channel count from the directory, and its message count from the
// shard itself (countMessages), which is also how reachable is found out
// (an unreachable shard is listed with no message count).
func (a *ShardAdmin) describe(ctx context.Context, sh *shard, shares map[string]float64) (admin.Shard, error) {
	spec := a.shards.specOf(sh)
	info := admin.Shard{ID: spec.ID, URL: redact(spec.URL), Weight: spec.Weight, State: spec.State, Share: shares[spec.ID]}
	query, args := "SELECT count(*) FROM channels WHERE shard_id = ?", []any{spec.ID}
	if sh.isDirectory() {
		query, args = "SELECT count(*) FROM channels WHERE shard_id IS NULL", nil
	}
	if err := a.shards.dir.system.WithContext(ctx).Raw(query, args...).Scan(&info.Channels).Error; err != nil {
		return admin.Shard{}, classify("count a shard's channels", err)
	}
	var err error
	info.Messages, err = a.countMessages(ctx, sh.db)
	info.Reachable = err == nil
	return info, nil
}

// countMessages counts a shard's messages up to exactMessages, and past
// that answers the planner's estimate, raised to more than was counted
// (a table not analyzed yet estimates -1).
func (a *ShardAdmin) countMessages(ctx context.Context, db *DB) (int64, error) {
	n, over, err := countUpTo(db.system.WithContext(ctx), "messages", a.exactMessages)
	if err != nil || !over {
		return n, err
	}
	err = db.system.WithContext(ctx).
		Raw("SELECT greatest(reltuples::bigint, ?) FROM pg_class WHERE oid = 'messages'::regclass", a.exactMessages+1).Scan(&n).Error
	return n, err
}

// checkWeight refuses a weight outside 1 to 1000: a shard's share of the
// ring is its weight over the total, and each weight unit is a run of
// ring points, so the bound keeps the ring small.
func checkWeight(weight int) error {
	if weight < 1 || weight > 1000 {
		return domain.Errorf(domain.KindValidation, "weight %d: between 1 and 1000", weight)
	}
	return nil
}

// SetShardWeight changes an active shard's weight, so its share of the
// ring: the mover then moves the channels whose owner changed, the same
// way as for an added shard (to it when it grew, away when it shrank).
// A draining shard has no share to change.
func (a *ShardAdmin) SetShardWeight(ctx context.Context, id string, weight int) (admin.Shard, error) {
	if err := checkWeight(weight); err != nil {
		return admin.Shard{}, err
	}
	sh, err := a.mapped(id)
	if err != nil {
		return admin.Shard{}, err
	}
	if a.shards.specOf(sh).State != ShardActive {
		return admin.Shard{}, domain.Errorf(domain.KindConflict, "shard %s is draining; its weight no longer counts", id)
	}
	res := a.shards.dir.system.WithContext(ctx).
		Exec("UPDATE shards SET weight = ? WHERE id = ? AND state = ?", weight, id, ShardActive)
	if res.Error != nil {
		return admin.Shard{}, classify("set the shard's weight", res.Error)
	}
	if res.RowsAffected == 0 {
		// Drained or removed by another node since the check above.
		return admin.Shard{}, domain.Errorf(domain.KindConflict, "shard %s is no longer active", id)
	}
	if err := a.shards.Refresh(ctx); err != nil {
		return admin.Shard{}, err
	}
	// Answered as the listing shows it: whether the shard answers is found
	// out, not assumed (the weight is the directory's, the shard may be
	// down).
	return a.describe(ctx, sh, a.shards.shares())
}

// createLocal creates a shard's database beside the directory, which in
// embedded mode is reached as the local cluster's superuser.
func (s *Shards) createLocal(ctx context.Context, id string) (string, error) {
	name := "chat_shard_" + strings.ReplaceAll(id, "-", "_")
	conn, err := pgx.Connect(ctx, s.base.URL)
	if err != nil {
		return "", classify("connect to create a shard database", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil && pgCode(err) != "42P04" {
		return "", classify("create database "+name, err)
	}
	u, err := url.Parse(s.base.URL)
	if err != nil {
		return "", fmt.Errorf("parse the directory's URL: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// shares is each active shard's share of the ring.
func (s *Shards) shares() map[string]float64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.ring.Shares()
}

// redact hides a URL's password.
func redact(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	return u.Redacted()
}

package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// channelCopy is everything a shard holds of one channel: the channel
// row, its memberships with their read positions, and its messages.
// Outbox rows are not copied: a channel moves only once its outbox is
// empty (ShardMover).
type channelCopy struct {
	row      copiedChannel
	members  []copiedMember
	messages []messageRow
	senders  []string
}

type copiedChannel struct {
	ID        string         `gorm:"column:id"`
	Type      string         `gorm:"column:type"`
	Name      sql.NullString `gorm:"column:name"`
	DirectKey sql.NullString `gorm:"column:direct_key"`
	LastSeq   int64          `gorm:"column:last_seq"`
	CreatedAt time.Time      `gorm:"column:created_at"`
	// MemberVersion goes with the channel so that the version only grows
	// across a move (migration 00013).
	MemberVersion int64 `gorm:"column:member_version"`
}

type copiedMember struct {
	UserID      string    `gorm:"column:user_id"`
	JoinedAt    time.Time `gorm:"column:joined_at"`
	LastReadSeq int64     `gorm:"column:last_read_seq"`
}

// readCopy reads a fenced channel from the database it is leaving. The
// fence keeps it from changing, so separate reads agree.
func readCopy(ctx context.Context, db *DB, id string) (channelCopy, bool, error) {
	var c channelCopy
	sys := db.system.WithContext(ctx)
	res := sys.Raw("SELECT id::text AS id, type, name, direct_key, last_seq, created_at, member_version FROM channels WHERE id = ?::uuid", id).Scan(&c.row)
	if res.Error != nil {
		return c, false, classify("read the moving channel", res.Error)
	}
	if res.RowsAffected == 0 {
		return c, false, nil
	}
	if err := sys.Raw("SELECT user_id, joined_at, last_read_seq FROM memberships WHERE channel_id = ?::uuid", id).Scan(&c.members).Error; err != nil {
		return c, false, classify("read the moving channel's members", err)
	}
	if err := sys.Raw("SELECT "+messageColumns+" FROM messages WHERE channel_id = ?::uuid ORDER BY seq", id).Scan(&c.messages).Error; err != nil {
		return c, false, classify("read the moving channel's messages", err)
	}
	if err := sys.Raw("SELECT DISTINCT sender_id FROM messages WHERE channel_id = ?::uuid", id).Scan(&c.senders).Error; err != nil {
		return c, false, classify("read the moving channel's senders", err)
	}
	return c, true, nil
}

// writeCopy stores c on the shard it moves to, replacing whatever an
// earlier, interrupted move left there. On the directory the index row
// and memberships are already there: they become the data rows.
func writeCopy(ctx context.Context, to *shard, c channelCopy) error {
	err := to.db.inSystemTx(ctx, func(tx *gorm.DB) error {
		if to.isDirectory() {
			if err := tx.Exec("DELETE FROM messages WHERE channel_id = ?::uuid", c.row.ID).Error; err != nil {
				return fmt.Errorf("clear the index row's messages: %w", err)
			}
			if err := tx.Exec("DELETE FROM memberships WHERE channel_id = ?::uuid", c.row.ID).Error; err != nil {
				return fmt.Errorf("clear the index row's members: %w", err)
			}
			err := tx.Exec("UPDATE channels SET last_seq = 0 WHERE id = ?::uuid", c.row.ID).Error
			if err != nil {
				return fmt.Errorf("reset the index row: %w", err)
			}
		} else {
			if err := tx.Exec("DELETE FROM channels WHERE id = ?::uuid", c.row.ID).Error; err != nil {
				return fmt.Errorf("clear an earlier copy: %w", err)
			}
			err := tx.Exec("INSERT INTO channels (id, type, name, direct_key, created_at) VALUES (?::uuid, ?, ?, ?, ?)",
				c.row.ID, c.row.Type, c.row.Name, c.row.DirectKey, c.row.CreatedAt).Error
			if err != nil {
				return fmt.Errorf("insert the channel: %w", err)
			}
		}
		return copyRows(tx, c)
	})
	if err != nil {
		return classify("copy the channel to shard "+to.spec.ID, err)
	}
	return nil
}

// copyRows inserts the members and messages of c under a channel row
// whose last_seq is 0: a new membership starts at the channel's last seq
// and a read position only grows (migration 00011), so the positions are
// raised to theirs after the inserts, and last_seq last.
func copyRows(tx *gorm.DB, c channelCopy) error {
	for _, m := range c.members {
		err := tx.Exec("INSERT INTO memberships (channel_id, user_id, joined_at) VALUES (?::uuid, ?, ?)", c.row.ID, m.UserID, m.JoinedAt).Error
		if err != nil {
			return fmt.Errorf("insert member %s: %w", m.UserID, err)
		}
		err = tx.Exec("UPDATE memberships SET last_read_seq = ? WHERE channel_id = ?::uuid AND user_id = ?", m.LastReadSeq, c.row.ID, m.UserID).Error
		if err != nil {
			return fmt.Errorf("set the read position of %s: %w", m.UserID, err)
		}
	}
	const chunk = 1000
	for start := 0; start < len(c.messages); start += chunk {
		part := c.messages[start:min(start+chunk, len(c.messages))]
		var ids, seqs, senders, cmids, bodies, statuses, created []string
		for _, m := range part {
			ids, senders, cmids = append(ids, m.ID), append(senders, m.SenderID), append(cmids, m.ClientMessageID)
			bodies, statuses, seqs = append(bodies, m.Body), append(statuses, m.Status), append(seqs, strconv.FormatInt(m.Seq, 10))
			created = append(created, m.CreatedAt.UTC().Format(time.RFC3339Nano))
		}
		err := tx.Exec(`INSERT INTO messages (id, channel_id, seq, sender_id, client_message_id, body, status, created_at)
			SELECT m.id::uuid, ?::uuid, m.seq::bigint, m.sender, m.cmid, m.body, m.status, m.created::timestamptz
			FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
				AS m(id, seq, sender, cmid, body, status, created)`,
			c.row.ID, textArray(ids), textArray(seqs), textArray(senders), textArray(cmids), textArray(bodies),
			textArray(statuses), textArray(created)).Error
		if err != nil {
			return fmt.Errorf("insert messages: %w", err)
		}
	}
	// The inserts above raised member_version from wherever this row's
	// started; one more step past the old shard's keeps it above every
	// version the old shard gave out.
	err := tx.Exec("UPDATE channels SET last_seq = ?, member_version = GREATEST(member_version, ?) + 1 WHERE id = ?::uuid",
		c.row.LastSeq, c.row.MemberVersion, c.row.ID).Error
	if err != nil {
		return fmt.Errorf("set last_seq and member_version: %w", err)
	}
	return nil
}

package postgres

import (
	"database/sql"
	"database/sql/driver"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chatd/chat/domain"
)

// channelRow is a row of channels as the store reads it.
type channelRow struct {
	ID          string         `gorm:"column:id"`
	Type        string         `gorm:"column:type"`
	Name        sql.NullString `gorm:"column:name"`
	LastSeq     int64          `gorm:"column:last_seq"`
	MemberCount int            `gorm:"column:member_count"`
	CreatedAt   time.Time      `gorm:"column:created_at"`
	// LastReadSeq is the acting user's read position, where a query joins
	// the membership.
	LastReadSeq int64 `gorm:"column:last_read_seq"`
	// ShardID is where the channel's data lives, where a directory query
	// reads it (NULL: in the same database).
	ShardID sql.NullString `gorm:"column:shard_id"`
	// Fenced is set while the channel moves away from this database.
	Fenced bool `gorm:"column:fenced"`
}

const channelColumns = "id, type, name, last_seq, member_count, created_at, fenced"

func (r channelRow) domain(members []string) domain.Channel {
	return domain.Channel{
		ID:          r.ID,
		Type:        domain.ChannelType(r.Type),
		Name:        r.Name.String,
		MemberIDs:   members,
		LastSeq:     r.LastSeq,
		CreatedAt:   r.CreatedAt.UTC(),
		LastReadSeq: r.LastReadSeq,
	}
}

// messageRow is a row of messages as the store reads it.
type messageRow struct {
	ID              string    `gorm:"column:id"`
	ChannelID       string    `gorm:"column:channel_id"`
	Seq             int64     `gorm:"column:seq"`
	SenderID        string    `gorm:"column:sender_id"`
	ClientMessageID string    `gorm:"column:client_message_id"`
	Body            string    `gorm:"column:body"`
	Status          string    `gorm:"column:status"`
	CreatedAt       time.Time `gorm:"column:created_at"`
}

const messageColumns = "id, channel_id, seq, sender_id, client_message_id, body, status, created_at"

func (r messageRow) domain() domain.Message {
	return domain.Message{
		ID:              r.ID,
		ChannelID:       r.ChannelID,
		SenderID:        r.SenderID,
		ClientMessageID: r.ClientMessageID,
		Body:            r.Body,
		Seq:             r.Seq,
		Status:          domain.MessageStatus(r.Status),
		CreatedAt:       r.CreatedAt.UTC(),
	}
}

// userRow is a row of users.
type userRow struct {
	ID        string    `gorm:"column:id"`
	Name      string    `gorm:"column:name"`
	CreatedAt time.Time `gorm:"column:created_at"`
}

func (r userRow) domain() domain.User {
	return domain.User{ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt.UTC()}
}

// parseChannelID checks that a client-supplied channel id is a UUID before
// it reaches SQL: anything else names no channel, and must be reported as
// not found rather than as an SQL cast error.
func parseChannelID(id string) (string, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return "", domain.ErrChannelNotFound
	}
	return u.String(), nil
}

// textArray binds a []string as one PostgreSQL text[] literal. gorm expands
// a plain slice into a parenthesised list of parameters; a driver.Valuer is
// passed through as one parameter, so queries can use ?::text[].
type textArray []string

// Value encodes the array literal, quoting every element so commas, braces,
// quotes and backslashes inside ids survive.
func (a textArray) Value() (driver.Value, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, s := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for _, r := range s {
			if r == '"' || r == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String(), nil
}

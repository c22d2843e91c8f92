package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// ChannelType says whether a channel is a 1:1 conversation or a group.
type ChannelType string

// The channel types of the product.
const (
	ChannelDirect ChannelType = "direct"
	ChannelGroup  ChannelType = "group"
)

// Limits on channels, from the product design (docs/architecture.md).
const (
	MaxGroupMembers      = 50
	MaxChannelNameLength = 100
)

// Channel is a conversation. LastSeq is the seq of its newest message, 0 when
// it has none; the next message takes LastSeq+1.
type Channel struct {
	ID        string
	Type      ChannelType
	Name      string
	MemberIDs []string
	LastSeq   int64
	CreatedAt time.Time
	// LastReadSeq is the reading user's position (ready, get_channel);
	// ReadState every member's, when asked for (get_channel, admin).
	LastReadSeq int64
	ReadState   []ReadPosition
}

// ReadPosition is how far a member has read a channel: every message with
// a seq up to LastReadSeq. It only grows, and never passes the channel's
// LastSeq.
type ReadPosition struct {
	UserID      string
	LastReadSeq int64
}

// UnreadCount is how many messages the reading user has not read yet; seq
// is dense, so it is a subtraction.
func (c Channel) UnreadCount() int64 {
	return max(c.LastSeq-c.LastReadSeq, 0)
}

// Membership records that a user belongs to a channel.
type Membership struct {
	ChannelID string
	UserID    string
	JoinedAt  time.Time
}

// ParseChannelType accepts the wire names of channel types.
func ParseChannelType(s string) (ChannelType, error) {
	switch ChannelType(s) {
	case ChannelDirect, ChannelGroup:
		return ChannelType(s), nil
	}
	return "", Errorf(KindValidation, "channelType must be \"direct\" or \"group\"")
}

// NewChannelSpec is what a creator asks for; Validate turns it into the
// member list the channel will have.
type NewChannelSpec struct {
	Type      ChannelType
	Name      string
	CreatorID string
	MemberIDs []string
}

// Members returns the distinct members of the channel to be created, the
// creator first, after checking the rules of its type: a direct channel has
// exactly two distinct users, a group 1 to 50, and only a group has a name.
func (s NewChannelSpec) Members() ([]string, error) {
	members := make([]string, 0, len(s.MemberIDs)+1)
	seen := make(map[string]bool, len(s.MemberIDs)+1)
	for _, id := range append([]string{s.CreatorID}, s.MemberIDs...) {
		if id == "" {
			return nil, Errorf(KindValidation, "memberIds must not contain empty ids")
		}
		if !seen[id] {
			seen[id] = true
			members = append(members, id)
		}
	}
	switch s.Type {
	case ChannelDirect:
		if len(members) != 2 {
			return nil, Errorf(KindValidation, "a direct channel has exactly 2 distinct members, got %d", len(members))
		}
		if s.Name != "" {
			return nil, Errorf(KindValidation, "a direct channel has no name")
		}
	case ChannelGroup:
		if len(members) > MaxGroupMembers {
			return nil, Errorf(KindValidation, "a group has at most %d members, got %d", MaxGroupMembers, len(members))
		}
		if utf8.RuneCountInString(s.Name) > MaxChannelNameLength {
			return nil, Errorf(KindValidation, "name must be at most %d characters", MaxChannelNameLength)
		}
		if s.Name != "" && strings.TrimSpace(s.Name) == "" {
			return nil, Errorf(KindValidation, "name must not be blank")
		}
	default:
		return nil, Errorf(KindValidation, "channelType must be \"direct\" or \"group\"")
	}
	return members, nil
}

// DirectKey identifies the one direct channel of a pair of users regardless
// of who created it, so a second create for the same pair finds the first.
func DirectKey(a, b string) string {
	if b < a {
		a, b = b, a
	}
	return a + "\x00" + b
}

// HasMember reports whether userID is among the channel's members.
func (c Channel) HasMember(userID string) bool {
	for _, id := range c.MemberIDs {
		if id == userID {
			return true
		}
	}
	return false
}

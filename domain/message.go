package domain

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on messages, from the protocol.
const (
	MaxBodyLength            = 1000
	MaxClientMessageIDLength = 64
)

// MessageStatus is the life-cycle state of a message. A message the server
// has stored is MessageSent; MessageDraft and MessageFailed exist for clients
// that keep unsent messages in the same model.
type MessageStatus string

// The message states of the product design (docs/architecture.md).
const (
	MessageDraft  MessageStatus = "draft"
	MessageSent   MessageStatus = "sent"
	MessageFailed MessageStatus = "failed"
)

// Message is one text message in a channel. Seq is dense per channel: the
// n-th stored message of a channel has seq n.
type Message struct {
	ID              string
	ChannelID       string
	SenderID        string
	ClientMessageID string
	Body            string
	Seq             int64
	Status          MessageStatus
	CreatedAt       time.Time
	// MemberVersion is the version of the channel's membership when the
	// message was stored (it grows with every join and leave), so fan-out
	// can tell whether members it read earlier are the message's
	// recipients. Internal: no protocol frame carries it; 0 is unknown.
	MemberVersion int64
}

// ValidateBody checks a body: 1 to 1000 Unicode code points, not only
// whitespace, valid UTF-8 (text only).
func ValidateBody(body string) error {
	if !utf8.ValidString(body) {
		return Errorf(KindValidation, "body must be valid UTF-8 text")
	}
	if blank(body) {
		return Errorf(KindValidation, "body must not be empty or only whitespace or invisible characters")
	}
	if n := utf8.RuneCountInString(body); n > MaxBodyLength {
		return Errorf(KindValidation, "body exceeds %d characters", MaxBodyLength)
	}
	if strings.ContainsRune(body, 0) {
		return Errorf(KindValidation, "body must not contain NUL characters")
	}
	return nil
}

// ValidateClientMessageID checks the sender's idempotency key: 1 to 64
// characters.
func ValidateClientMessageID(id string) error {
	if id == "" || utf8.RuneCountInString(id) > MaxClientMessageIDLength {
		return Errorf(KindValidation, "clientMessageId must be 1 to %d characters", MaxClientMessageIDLength)
	}
	if !utf8.ValidString(id) || strings.ContainsRune(id, 0) {
		return Errorf(KindValidation, "clientMessageId must be valid UTF-8 without NUL")
	}
	return nil
}

// Page selects a window of a channel's history by seq. AfterSeq and BeforeSeq
// are exclusive; at most one is set. Results are always in ascending seq.
type Page struct {
	AfterSeq  int64
	BeforeSeq int64
	Limit     int
}

// Limits on history pages.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 100
)

// NewPage validates a history request. Nil means the field was not given:
// no cursor reads from the start, no limit means DefaultPageLimit.
func NewPage(afterSeq, beforeSeq *int64, limit *int) (Page, error) {
	if afterSeq != nil && beforeSeq != nil {
		return Page{}, Errorf(KindValidation, "give afterSeq or beforeSeq, not both")
	}
	if (afterSeq != nil && *afterSeq < 0) || (beforeSeq != nil && *beforeSeq < 1) {
		return Page{}, Errorf(KindValidation, "afterSeq must be at least 0 and beforeSeq at least 1")
	}
	p := Page{Limit: DefaultPageLimit}
	if limit != nil {
		if *limit < 1 || *limit > MaxPageLimit {
			return Page{}, Errorf(KindValidation, "limit must be 1 to %d", MaxPageLimit)
		}
		p.Limit = *limit
	}
	if afterSeq != nil {
		p.AfterSeq = *afterSeq
	}
	if beforeSeq != nil {
		p.BeforeSeq = *beforeSeq
	}
	return p, nil
}

// invisibleBlanks are letters that render as nothing (Hangul and Braille
// fillers), which the categories below do not cover.
var invisibleBlanks = map[rune]bool{0x2800: true, 0x3164: true, 0x115F: true, 0x1160: true, 0xFFA0: true}

// blank reports whether s shows nothing: only whitespace, separators (Zs),
// control (Cc) and format characters (Cf: zero-width spaces and joiners,
// the byte-order mark) and the invisible fillers (protocol v1.1).
func blank(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) && !unicode.In(r, unicode.Zs, unicode.Cc, unicode.Cf) && !invisibleBlanks[r] {
			return false
		}
	}
	return true
}

package main

import "math"

// wireMessage is what the checks read of a message_received or
// message_sent payload. channelID and body are views into the frame's
// bytes, valid while the frame is handled: group runs read tens of
// thousands of these a second, and encoding/json's reflection over the
// whole messagePayload was the largest part of chatbench's CPU.
type wireMessage struct {
	channelID []byte
	body      []byte
	seq       int64
}

// Bits of the message fields seen, so that a repeated one is refused.
const (
	seenChannelID = 1 << iota
	seenMessageID
	seenClientMessageID
	seenSenderID
	seenBody
	seenCreatedAt
	seenSeq
)

// parseMessagePayload reads a message payload in the server's layout: a
// flat object of the message fields, each at most once, in any order,
// with strings of printable ASCII without escapes and an integer seq. ok
// is false for anything else, which then goes through encoding/json. What
// it accepts is valid JSON that json.Unmarshal reads into messagePayload
// with the same channelId, body and seq (FuzzParseInFrameMatchesUnmarshal).
func parseMessagePayload(payload []byte, m *wireMessage) bool {
	*m = wireMessage{}
	var seen int
	return scanFlatObject(payload, func(name, value []byte, isString bool) bool {
		bit, ok := messageField(name)
		if !ok || seen&bit != 0 || isString != (bit != seenSeq) {
			return false
		}
		seen |= bit
		switch bit {
		case seenChannelID:
			m.channelID = value
		case seenBody:
			m.body = value
		case seenSeq:
			if m.seq, ok = parseInt64(value); !ok {
				return false
			}
		}
		return true
	})
}

func messageField(name []byte) (int, bool) {
	switch string(name) {
	case "channelId":
		return seenChannelID, true
	case "messageId":
		return seenMessageID, true
	case "clientMessageId":
		return seenClientMessageID, true
	case "senderId":
		return seenSenderID, true
	case "body":
		return seenBody, true
	case "createdAt":
		return seenCreatedAt, true
	case "seq":
		return seenSeq, true
	}
	return 0, false
}

// scanFlatObject walks a JSON object whose values are all plain strings
// (printable ASCII, no escapes) or integers, handing each member to
// member, which may refuse it. It reports false for anything else. An
// object it accepts is valid JSON, so no second pass (json.Valid) is
// needed over it.
func scanFlatObject(b []byte, member func(name, value []byte, isString bool) bool) bool {
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return false
	}
	rest := b[1:]
	if len(rest) == 1 {
		return true // {}
	}
	for {
		if len(rest) == 0 || rest[0] != '"' {
			return false
		}
		name, after, ok := cutPlain(rest[1:])
		if !ok || len(after) == 0 || after[0] != ':' {
			return false
		}
		after = after[1:]
		var value []byte
		isString := len(after) > 0 && after[0] == '"'
		if isString {
			value, after, ok = cutPlain(after[1:])
		} else {
			value, after, ok = cutInteger(after)
		}
		if !ok || !member(name, value, isString) || len(after) == 0 {
			return false
		}
		switch after[0] {
		case ',':
			rest = after[1:]
		case '}':
			return len(after) == 1
		default:
			return false
		}
	}
}

// cutInteger splits b after a JSON integer (no fraction, no exponent, no
// leading zero): its text and what follows.
func cutInteger(b []byte) (digits, rest []byte, ok bool) {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	start := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	switch {
	case i == start:
		return nil, nil, false
	case b[start] == '0' && i > start+1:
		return nil, nil, false // 01 is not JSON
	}
	return b[:i], b[i:], true
}

// parseInt64 reads a decimal integer with an optional minus sign,
// refusing one beyond ±math.MaxInt64 (encoding/json refuses those too,
// but for MinInt64, which is left to it).
func parseInt64(digits []byte) (int64, bool) {
	negative := len(digits) > 0 && digits[0] == '-'
	if negative {
		digits = digits[1:]
	}
	if len(digits) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	if negative {
		n = -n
	}
	return n, true
}

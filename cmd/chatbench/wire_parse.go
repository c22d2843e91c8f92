package main

import (
	"bytes"
	"encoding/json"
)

// parseInFrame reads a server frame into f. The server writes its
// envelope in one layout (type, then requestId when there is one, then
// payload, no spaces), which this reads without reflection; anything else
// goes through json.Unmarshal, as does a payload that is not valid JSON,
// so both paths accept and refuse the same frames.
func parseInFrame(data []byte, f *inFrame) error {
	if parseEnvelope(data, f) {
		return nil
	}
	*f = inFrame{}
	return json.Unmarshal(data, f)
}

// parseEnvelope is parseInFrame's fast path; it reports false when the
// frame is not in the usual layout.
func parseEnvelope(data []byte, f *inFrame) bool {
	rest, ok := bytes.CutPrefix(data, []byte(`{"type":"`))
	if !ok {
		return false
	}
	typ, rest, ok := cutPlain(rest)
	if !ok {
		return false
	}
	var id []byte
	if after, ok := bytes.CutPrefix(rest, []byte(`,"requestId":"`)); ok {
		if id, rest, ok = cutPlain(after); !ok {
			return false
		}
	}
	rest, ok = bytes.CutPrefix(rest, []byte(`,"payload":`))
	if !ok || len(rest) < 2 || rest[len(rest)-1] != '}' {
		return false
	}
	payload := rest[:len(rest)-1]
	if len(payload) == 0 || isSpace(payload[0]) || isSpace(payload[len(payload)-1]) {
		return false // json.Unmarshal would trim the spaces; leave it to decide
	}
	*f = inFrame{Type: frameType(typ), RequestID: string(id), Payload: payload}
	// A payload one of the scans accepts is valid JSON: only the others
	// need json.Valid's second pass.
	if f.Type == "message_received" || f.Type == "message_sent" {
		f.hasMsg = parseMessagePayload(payload, &f.msg)
	}
	if !f.hasMsg && !scanFlatObject(payload, anyMember) && !json.Valid(payload) {
		*f = inFrame{}
		return false
	}
	return true
}

func anyMember([]byte, []byte, bool) bool { return true }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// cutPlain splits b after a JSON string whose opening quote was cut: its
// text (printable ASCII, no escapes) and what follows the closing quote.
// It looks at every byte of every message body, so one table lookup per
// byte decides instead of four comparisons.
func cutPlain(b []byte) (text, rest []byte, ok bool) {
	for i, c := range b {
		switch plainByte[c] {
		case plainText:
			continue
		case plainQuote:
			return b[:i], b[i+1:], true
		default:
			return nil, nil, false
		}
	}
	return nil, nil, false
}

// What a byte is inside a plain JSON string.
const (
	plainOther = iota // ends the fast path: control, escape, non-ASCII
	plainText
	plainQuote
)

var plainByte = func() (table [256]uint8) {
	for c := 0x20; c <= 0x7e; c++ {
		table[c] = plainText
	}
	table['"'] = plainQuote
	table['\\'] = plainOther
	return table
}()

// frameType returns the frequent frame types as constants, so reading them
// allocates no string.
func frameType(b []byte) string {
	switch string(b) {
	case "heartbeat_ack":
		return "heartbeat_ack"
	case "message_received":
		return "message_received"
	case "message_sent":
		return "message_sent"
	case "presence_updated":
		return "presence_updated"
	}
	return string(b)
}

package protocol

import "time"

// appendHeartbeatAck appends the heartbeat_ack frame exactly as Encode's
// encoding/json path writes it, without reflection: heartbeats are the
// most frequent frame of all (every connection, every few seconds), and
// json.Marshal cost as much as the rest of the ack. It reports false when
// requestID needs escaping, which only encoding/json does.
func appendHeartbeatAck(dst []byte, requestID string, ack HeartbeatAck) ([]byte, bool) {
	if !plainJSONString(requestID) {
		return dst, false
	}
	dst = append(dst, `{"type":"`+TypeHeartbeatAck+`"`...)
	if requestID != "" {
		dst = append(dst, `,"requestId":"`...)
		dst = append(dst, requestID...)
		dst = append(dst, '"')
	}
	dst = append(dst, `,"payload":{"serverTime":"`...)
	dst = appendTime(dst, time.Time(ack.ServerTime))
	return append(dst, `"}}`...), true
}

// plainJSONString reports whether encoding/json writes s between quotes
// unchanged: printable ASCII without the quote, the backslash and the
// characters it escapes for HTML (<, >, &).
func plainJSONString(s string) bool {
	for i := range len(s) {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

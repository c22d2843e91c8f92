package protocol

import (
	"encoding/json"
	"fmt"
	"time"
)

// TimeLayout is how every instant is written on the wire: RFC 3339 in UTC
// with exactly three fractional digits, so clients can compare the strings
// of two instants lexically and no two encodings of one instant differ.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// FormatTime writes t in TimeLayout. Sub-millisecond digits are truncated,
// not rounded, so a time never moves past a later event's time.
func FormatTime(t time.Time) string {
	var buf [len(TimeLayout)]byte
	return string(appendTime(buf[:0], t))
}

// Time is a time.Time that encodes itself in TimeLayout, for use in the
// payload structs so that no handler can forget the format.
type Time time.Time

// MarshalJSON writes the instant as a TimeLayout string.
func (t Time) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(TimeLayout)+2)
	b = append(b, '"')
	b = appendTime(b, time.Time(t))
	return append(b, '"'), nil
}

// UnmarshalJSON accepts any RFC 3339 instant, so clients written in Go can
// decode server frames with the same structs.
func (t *Time) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("time must be an RFC 3339 string: %w", err)
	}
	parsed, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("parse time %q: %w", s, err)
	}
	*t = Time(parsed.UTC())
	return nil
}

// String returns the wire form, which is also the handiest form in logs.
func (t Time) String() string { return FormatTime(time.Time(t)) }

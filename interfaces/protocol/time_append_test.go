package protocol

import (
	"testing"
	"time"
)

// FuzzAppendTimeMatchesFormat checks the hand-written layout against
// time.Format for any instant and zone: the wire must not change.
func FuzzAppendTimeMatchesFormat(f *testing.F) {
	f.Add(int64(1_795_000_000_123_456_789), 0)
	f.Add(int64(0), 3600)
	f.Add(int64(-1), -1)
	f.Add(int64(-62_135_596_800_000_000_0), 0)
	f.Add(int64(1<<63-1), 14*3600)
	f.Fuzz(func(t *testing.T, unixNano int64, offset int) {
		at := time.Unix(0, unixNano).In(time.FixedZone("z", offset%(24*3600)))
		want := at.UTC().Format(TimeLayout)
		if got := string(appendTime([]byte("x"), at)); got != "x"+want {
			t.Fatalf("appendTime(%v) = %q, want %q", at, got[1:], want)
		}
	})
}

func TestAppendTimeCoversEveryYearItWrites(t *testing.T) {
	// Unix nanoseconds reach only 1677-2262; years outside four digits
	// come from dates.
	for _, at := range []time.Time{
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 6, 15, 12, 30, 45, 5_000_000, time.UTC),
		{},
	} {
		if got, want := FormatTime(at), at.UTC().Format(TimeLayout); got != want {
			t.Errorf("FormatTime(%v) = %q, want %q", at, got, want)
		}
	}
}

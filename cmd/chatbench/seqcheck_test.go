package main

import "testing"

func TestStreamVerdicts(t *testing.T) {
	type event struct {
		kind string // live, own, history
		seq  int64
	}
	live := func(seqs ...int64) []event {
		out := make([]event, len(seqs))
		for i, s := range seqs {
			out[i] = event{"live", s}
		}
		return out
	}
	tests := []struct {
		name   string
		start  int64
		events []event
		upTo   int64
		want   Tally
	}{
		{"everything in order", 0, live(1, 2, 3, 4), 4,
			Tally{Streams: 1, Expected: 4, Delivered: 4}},
		{"gap in the middle", 0, live(1, 2, 4, 5), 5,
			Tally{Streams: 1, Expected: 5, Delivered: 4, Missing: 1}},
		{"tail never arrived", 0, live(1, 2), 5,
			Tally{Streams: 1, Expected: 5, Delivered: 2, Missing: 3}},
		{"duplicate", 0, live(1, 2, 2, 3), 3,
			Tally{Streams: 1, Expected: 3, Delivered: 3, Duplicates: 1}},
		{"reordered", 0, live(1, 3, 2, 4), 4,
			Tally{Streams: 1, Expected: 4, Delivered: 4, Reordered: 1}},
		{"starts after the subscription point", 10, live(11, 12), 12,
			Tally{Streams: 1, Expected: 2, Delivered: 2}},
		{"replay of a seq from before the subscription", 10, live(10, 11), 11,
			Tally{Streams: 1, Expected: 1, Delivered: 1, Duplicates: 1}},
		{"own messages fill the gaps of the live stream", 0,
			[]event{{"live", 1}, {"own", 3}, {"live", 2}, {"live", 4}}, 4,
			Tally{Streams: 1, Expected: 4, Delivered: 4}},
		{"own message echoed back as message_received", 0,
			[]event{{"own", 1}, {"live", 1}, {"live", 2}}, 2,
			Tally{Streams: 1, Expected: 2, Delivered: 2, Duplicates: 1}},
		{"history fills what the connection missed", 0,
			[]event{{"live", 1}, {"history", 2}, {"history", 3}, {"live", 4}}, 4,
			Tally{Streams: 1, Expected: 4, Delivered: 4}},
		{"history repeats a live message", 0,
			[]event{{"live", 1}, {"history", 1}}, 1,
			Tally{Streams: 1, Expected: 1, Delivered: 1, Duplicates: 1}},
		{"long stream crossing words", 0, live(seqRange(1, 200)...), 200,
			Tally{Streams: 1, Expected: 200, Delivered: 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewStream(tt.start)
			for _, e := range tt.events {
				switch e.kind {
				case "live":
					s.Live(e.seq)
				case "own":
					s.Own(e.seq)
				case "history":
					s.History(e.seq)
				}
			}
			if got := s.Verify(tt.upTo); got != tt.want {
				t.Fatalf("Verify(%d) = %+v, want %+v", tt.upTo, got, tt.want)
			}
			if got, want := s.Verify(tt.upTo).Failed(), tt.want.Failed(); got != want {
				t.Fatalf("Failed() = %v, want %v", got, want)
			}
		})
	}
}

func TestStreamCaughtUpFollowsTheContiguousPrefix(t *testing.T) {
	s := NewStream(5)
	if !s.CaughtUp(5) {
		t.Fatal("a stream is caught up with its own start")
	}
	for _, seq := range []int64{6, 7, 9} {
		s.Live(seq)
	}
	if s.CaughtUp(9) {
		t.Fatal("caught up to 9 with 8 missing")
	}
	if !s.CaughtUp(7) {
		t.Fatal("not caught up to 7 with 6 and 7 seen")
	}
	s.History(8)
	if !s.CaughtUp(9) || s.MaxSeen() != 9 {
		t.Fatalf("after filling 8: CaughtUp(9)=%v MaxSeen=%d", s.CaughtUp(9), s.MaxSeen())
	}
	// A seq that fills a gap far ahead moves the watermark over whole words.
	for seq := int64(11); seq <= 300; seq++ {
		s.Live(seq)
	}
	s.History(10)
	if !s.CaughtUp(300) {
		t.Fatal("not caught up to 300 after filling 10")
	}
}

func TestStreamResubscribedRestartsLiveOrder(t *testing.T) {
	s := NewStream(0)
	s.Live(1)
	s.Live(2)
	// The client dropped; its new connection's ready says lastSeq 5. It
	// catches 3..5 up with history while 6 and 7 come live.
	s.Resubscribed(5)
	s.Live(6)
	s.History(3)
	s.History(4)
	s.History(5)
	s.Live(7)
	if got, want := s.Verify(7), (Tally{Streams: 1, Expected: 7, Delivered: 7}); got != want {
		t.Fatalf("Verify = %+v, want %+v", got, want)
	}
	// A live seq at or below the new start is out of order on the new
	// connection even though it is new to the stream.
	s2 := NewStream(0)
	s2.Live(1)
	s2.Resubscribed(5)
	s2.Live(4)
	if got := s2.Verify(4); got.Reordered != 1 {
		t.Fatalf("live seq below the resubscription point: %+v, want 1 reordered", got)
	}
}

func TestTallyAdd(t *testing.T) {
	var sum Tally
	sum.Add(Tally{Streams: 1, Expected: 3, Delivered: 3})
	sum.Add(Tally{Streams: 1, Expected: 2, Delivered: 1, Missing: 1})
	want := Tally{Streams: 2, Expected: 5, Delivered: 4, Missing: 1}
	if sum != want || !sum.Failed() {
		t.Fatalf("sum = %+v (failed %v), want %+v failed", sum, sum.Failed(), want)
	}
}

func seqRange(from, to int64) []int64 {
	out := make([]int64, 0, to-from+1)
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"
)

// The stream of the failover test: haSenders connections in groups of two
// per channel, haPerSender sends each over both phases.
const (
	haChannels  = 3
	haSenders   = 2 * haChannels
	haStandbyN  = 100 // sends per sender while a standby dies
	haPrimaryN  = 400 // sends per sender while the primary dies
	haTotal     = haSenders * (haStandbyN + haPrimaryN)
	haSendLimit = 2 * time.Minute
)

// TestHAFailover runs one chatd on a three-member Patroni cluster
// (synchronous standby) through its multi-host URL, with 3,000 sends from
// six senders over three channels, and kills PostgreSQL under it twice:
//
//  1. kill -9 of the synchronous standby's postmaster: writes go on, and
//     every acknowledged message is on the primary and on both standbys
//     (the killed one once Patroni restarted it);
//  2. kill -9 of the primary's postmaster: Patroni promotes the
//     synchronous standby, chatd finds it by itself, sends that could not
//     be stored get `unavailable` and succeed when retried; afterwards
//     every acknowledged message is stored once, seq is dense per
//     channel, and every member sees every message pushed in order;
//  3. the old primary comes back as a standby of the new one (Patroni
//     restarts it, pg_rewind if it diverged) and holds every message.
//
// It prints the write gap of the failover: the longest pause between two
// acknowledgements.
func TestHAFailover(t *testing.T) {
	pc := startPatroni(t)
	pc.waitHealthy()
	// The channels stay in the Patroni cluster's database, the one that
	// fails over: no test shards beside it.
	testShardURLs.Store(pc.url, "")
	s := startWithConfig(t, testConfig(pc.url))

	var senders []*haSender
	var channels []string
	var watchers []*received
	for ch := range haChannels {
		a, aID := s.login(fmt.Sprint("sender", 2*ch))
		b, bID := s.login(fmt.Sprint("sender", 2*ch+1))
		w, wID := s.login(fmt.Sprint("watcher", ch))
		var g channelPayload
		a.mustRequest("create_channel", map[string]any{"channelType": "group", "memberIds": []string{bID, wID}}, "channel_created", &g)
		b.awaitType("channel_created")
		w.awaitType("channel_created")
		channels = append(channels, g.ChannelID)
		watchers = append(watchers, collect(w, g.ChannelID))
		senders = append(senders, newHASender(a, aID, g.ChannelID), newHASender(b, bID, g.ChannelID))
	}

	// Phase 1: the synchronous standby dies during sends.
	standby := pc.withRole("sync_standby")
	acks, pause := haStream(t, senders, 0, haStandbyN, haSenders*haStandbyN/3, func() { pc.killPostmaster(standby) })
	t.Logf("synchronous standby %s killed: longest pause between two acknowledgements %s", standby.Name, pause.Round(time.Millisecond))
	leader := pc.withRole("leader")
	pc.waitHolds(leader, messageIDs(acks), false)
	pc.waitHealthy() // Patroni restarted the standby; one is synchronous again
	for _, m := range pc.members {
		if m.Name != leader.Name {
			pc.waitHolds(m, messageIDs(acks), true) // the killed standby too, once back
		}
	}

	// Phase 2: the primary dies during sends.
	ready := watchReadiness(s)
	var killedAt time.Time
	more, gap := haStream(t, senders, haStandbyN, haPrimaryN, haSenders*haPrimaryN/3, func() {
		killedAt = time.Now()
		pc.killPostmaster(leader)
	})
	notReady, readyAgain := ready.stop()
	acks = append(acks, more...)
	if len(acks) != haTotal {
		t.Fatalf("%d sends acknowledged, want %d", len(acks), haTotal)
	}
	newLeader := pc.primaryOtherThan(leader.Name)
	t.Logf("failover from %s to %s: write gap %s (longest pause between two acknowledgements); /readyz said 503 %d times",
		leader.Name, newLeader.Name, gap.Round(time.Millisecond), notReady)
	fmt.Printf("HA failover write gap: %s (kill -9 of the primary at %s)\n", gap.Round(time.Millisecond), killedAt.Format(time.TimeOnly))
	if notReady == 0 || !readyAgain {
		t.Fatalf("/readyz during the failover: %d answers 503, ready again %v; want not ready while there was no primary, ready after", notReady, readyAgain)
	}
	checkStored(t, pc, newLeader, channels, acks)
	for i, w := range watchers {
		checkStream(t, fmt.Sprint("watcher", i), w.waitForSeq(t, fmt.Sprint("watcher", i), int64(haTotal/haChannels), 60*time.Second), 1, int64(haTotal/haChannels))
	}

	// Phase 3: the old primary rejoins as a standby and has everything.
	pc.waitHealthy()
	pc.waitHolds(leader, messageIDs(acks), true)
}

// haAck is one acknowledged send.
type haAck struct {
	channelID, messageID string
	seq                  int64
	at                   time.Time
}

// haSender sends over one connection; a goroutine hands it the replies
// and drops the pushed events.
type haSender struct {
	c         *client
	userID    string
	channelID string
	replies   chan frame
}

func newHASender(c *client, userID, channelID string) *haSender {
	s := &haSender{c: c, userID: userID, channelID: channelID, replies: make(chan frame, 16)}
	go func() {
		defer close(s.replies)
		for f := range c.frames {
			if f.RequestID != "" {
				s.replies <- f
			}
		}
	}()
	return s
}

// send stores one message, retrying it under the same clientMessageId
// while chatd answers unavailable, as the protocol tells clients to.
func (s *haSender) send(clientID string, deadline time.Time) (haAck, int, error) {
	retries := 0
	for {
		id := fmt.Sprintf("r-%d", s.c.next.Add(1))
		data, err := json.Marshal(map[string]any{"type": "send_message", "requestId": id,
			"payload": map[string]any{"channelId": s.channelID, "body": "ha " + clientID, "clientMessageId": clientID}})
		if err != nil {
			return haAck{}, retries, err
		}
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		err = s.c.conn.Write(ctx, websocket.MessageText, data)
		cancel()
		if err != nil {
			return haAck{}, retries, fmt.Errorf("write %s: %w", clientID, err)
		}
		f, err := s.reply(id, deadline)
		if err != nil {
			return haAck{}, retries, err
		}
		switch f.Type {
		case "message_sent":
			var m messagePayload
			if err := json.Unmarshal(f.Payload, &m); err != nil {
				return haAck{}, retries, err
			}
			return haAck{channelID: m.ChannelID, messageID: m.MessageID, seq: m.Seq, at: time.Now()}, retries, nil
		case "error":
			var e struct{ Code, Message string }
			_ = json.Unmarshal(f.Payload, &e)
			if e.Code != "unavailable" {
				return haAck{}, retries, fmt.Errorf("send %s: error %s: %s", clientID, e.Code, e.Message)
			}
			retries++
			if time.Now().After(deadline) {
				return haAck{}, retries, fmt.Errorf("send %s: still unavailable after %d retries", clientID, retries)
			}
			// The client's retry pause, so a failover is not met with a
			// busy loop; the store decides when the retry succeeds.
			time.Sleep(20 * time.Millisecond)
		default:
			return haAck{}, retries, fmt.Errorf("send %s: got %s %s", clientID, f.Type, f.Payload)
		}
	}
}

func (s *haSender) reply(requestID string, deadline time.Time) (frame, error) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		select {
		case f, ok := <-s.replies:
			if !ok {
				return frame{}, fmt.Errorf("connection closed while waiting for %s", requestID)
			}
			if f.RequestID == requestID {
				return f, nil
			}
		case <-timer.C:
			return frame{}, fmt.Errorf("no reply to %s before the deadline", requestID)
		}
	}
}

// haStream runs every sender at once, n sends each numbered from `from`,
// and calls fault once killAfter sends are acknowledged. It returns the
// acknowledgements and the longest pause between two of them.
func haStream(t *testing.T, senders []*haSender, from, n, killAfter int, fault func()) ([]haAck, time.Duration) {
	t.Helper()
	deadline := time.Now().Add(haSendLimit)
	var (
		mu      sync.Mutex
		acks    []haAck
		errs    []error
		retries atomic.Int64
		count   atomic.Int64
		once    sync.Once
		faulted = make(chan struct{})
		wg      sync.WaitGroup
	)
	for _, s := range senders {
		wg.Go(func() {
			for i := from; i < from+n; i++ {
				ack, r, err := s.send(fmt.Sprintf("%s-%d", s.userID, i), deadline)
				retries.Add(int64(r))
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				acks = append(acks, ack)
				mu.Unlock()
				if count.Add(1) == int64(killAfter) {
					once.Do(func() { go func() { fault(); close(faulted) }() })
				}
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d senders failed; first: %v", len(errs), errs[0])
	}
	<-faulted
	t.Logf("%d sends acknowledged, %d retried after unavailable", len(acks), retries.Load())
	times := make([]time.Time, len(acks))
	for i, a := range acks {
		times[i] = a.at
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	var gap time.Duration
	for i := 1; i < len(times); i++ {
		gap = max(gap, times[i].Sub(times[i-1]))
	}
	return acks, gap
}

func messageIDs(acks []haAck) []string {
	ids := make([]string, len(acks))
	for i, a := range acks {
		ids[i] = a.messageID
	}
	return ids
}

// checkStored reads the channels on member m: every acknowledged message
// once, under the seq it was acknowledged with, and seqs dense from 1
// with nothing else stored.
func checkStored(t *testing.T, pc *patroniCluster, m patroniMember, channels []string, acks []haAck) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pc.memberConn(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT channel_id::text, id::text, seq FROM messages
		WHERE channel_id = ANY($1::uuid[]) ORDER BY channel_id, seq`, channels)
	if err != nil {
		t.Fatal(err)
	}
	type stored struct {
		ChannelID, ID string
		Seq           int64
	}
	all, err := pgx.CollectRows(rows, pgx.RowToStructByPos[stored])
	if err != nil {
		t.Fatal(err)
	}
	bySeq := map[string]int64{}
	next := map[string]int64{}
	for _, r := range all {
		next[r.ChannelID]++
		if r.Seq != next[r.ChannelID] {
			t.Fatalf("channel %s: seq %d where %d was due: not dense", r.ChannelID, r.Seq, next[r.ChannelID])
		}
		if _, dup := bySeq[r.ID]; dup {
			t.Fatalf("message %s stored twice", r.ID)
		}
		bySeq[r.ID] = r.Seq
	}
	if len(all) != len(acks) {
		t.Fatalf("%s holds %d messages of the test's channels, want exactly the %d acknowledged", m.Name, len(all), len(acks))
	}
	for _, a := range acks {
		if got, ok := bySeq[a.messageID]; !ok || got != a.seq {
			t.Fatalf("acknowledged message %s (seq %d) stored as %d (present %v)", a.messageID, a.seq, got, ok)
		}
	}
}

// readiness polls chatd's /readyz in the background and counts its
// answers: 503 while there is no primary, 200 once there is one again.
type readiness struct {
	stopCh     chan struct{}
	done       chan struct{}
	notReady   atomic.Int64
	readyAgain atomic.Bool // 200 since the last 503
}

func watchReadiness(s *testServer) *readiness {
	r := &readiness{stopCh: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		client := http.Client{Timeout: 5 * time.Second}
		for {
			select {
			case <-r.stopCh:
				return
			default:
			}
			time.Sleep(20 * time.Millisecond) // poll interval
			resp, err := client.Get(s.httpURL() + "/readyz")
			if err != nil {
				continue
			}
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusServiceUnavailable:
				r.notReady.Add(1)
				r.readyAgain.Store(false)
			case http.StatusOK:
				r.readyAgain.Store(r.notReady.Load() > 0)
			}
		}
	}()
	return r
}

// stop waits until chatd said ready again after saying not ready (or
// haTimeout passed), then ends the polling.
func (r *readiness) stop() (notReady int64, readyAgain bool) {
	deadline := time.Now().Add(haTimeout)
	for !r.readyAgain.Load() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // poll interval of a condition with a deadline
	}
	close(r.stopCh)
	<-r.done
	return r.notReady.Load(), r.readyAgain.Load()
}

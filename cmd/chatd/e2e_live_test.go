package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chatd/chat/infrastructure/cluster/etcdtest"
	"github.com/chatd/chat/infrastructure/kafka/kafkatest"
	"github.com/chatd/chat/infrastructure/postgres/pgtest"
)

// pauseBroker stops (SIGSTOP) or continues (SIGCONT) the broker that
// scripts/kafka.sh runs in dir: while it is stopped it keeps its
// connections but answers nothing, a broker that is slow without end,
// and the durable path delivers nothing.
func pauseBroker(t testing.TB, dir string, sig syscall.Signal) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("broker pid %q: %v", data, err)
	}
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatalf("signal %v to the broker: %v", sig, err)
	}
}

// sendMany sends n messages of one sender, one at a time, and returns the
// seqs acknowledged; it stops early when the connection dies (its node
// was killed).
func sendMany(c *client, channelID, tag string, n int) []int64 {
	var seqs []int64
	for i := range n {
		sent, ok := trySend(c, channelID, fmt.Sprint(tag, i), fmt.Sprint(tag, i))
		if !ok {
			break
		}
		seqs = append(seqs, sent.Seq)
	}
	return seqs
}

// TestLiveAndDurablePathsGiveEachConnectionEverySeqOnce runs three nodes
// with senders on two of them and readers on all three, so the live path
// brings a channel's messages from two nodes in no fixed order and the
// durable path (the broker) brings them all again:
//
//  1. with both paths, every reader gets every seq once, in order;
//  2. with the broker stopped (SIGSTOP: no answer at all), the readers
//     still get every message, by the live path alone;
//  3. with the broker still stopped, the node of one sender is killed
//     (kill -9) in the middle of its stream while the other sender goes
//     on, so a message it committed may never have been sent live and
//     the readers hold what follows; the node fills that gap from the
//     database (ws.GapFiller), so the readers get every message while
//     the broker is still stopped;
//  4. once the broker continues, the durable path brings everything
//     again, which the readers must not see twice: a join, which takes
//     the durable path only and comes after the channel's messages in
//     it, marks when that has happened.
//
// Each surviving reader's stream is 1..N exactly, N being the channel's
// last seq in the database.
func TestLiveAndDurablePathsGiveEachConnectionEverySeqOnce(t *testing.T) {
	kafkatest.Brokers(t) // the test broker proves Java and Maven work here
	endpoint := etcdtest.Endpoints(t)[0]
	t.Parallel()
	brokerDir := t.TempDir()
	brokerAddr := ownBroker(t, "start", brokerDir)
	t.Cleanup(func() {
		pauseBroker(t, brokerDir, syscall.SIGCONT) // a failed test may leave it stopped
		ownBroker(t, "stop", brokerDir)
	})
	dbURL := pgtest.NewDatabase(t)
	base := testConfig(dbURL)
	base.Kafka.Brokers = []string{brokerAddr}
	prefix := etcdtest.Prefix()
	bin := buildChatd(t)
	nodeA, procA := startProcess(t, bin, clusterConfig(t, base, prefix, endpoint, "live-a"))
	nodeB := startWithConfig(t, clusterConfig(t, base, prefix, endpoint, "live-b"))
	nodeC := startWithConfig(t, clusterConfig(t, base, prefix, endpoint, "live-c"))
	for _, n := range []*testServer{nodeA, nodeB, nodeC} {
		n.waitForRing(3)
	}

	senderAID, senderAToken := userOwnedBy(t, nodeB, "live-a")
	_, senderBToken := userOwnedBy(t, nodeB, "live-b")
	readerBID, readerBToken := userOwnedBy(t, nodeB, "live-b")
	readerCID, readerCToken := userOwnedBy(t, nodeB, "live-c")
	senderA := nodeA.connect(t, senderAToken)
	senderB := nodeB.connect(t, senderBToken)
	readerB := nodeB.connect(t, readerBToken)
	readerC := nodeC.connect(t, readerCToken)
	var g channelPayload
	senderB.mustRequest("create_channel", map[string]any{"channelType": "group",
		"memberIds": []string{senderAID, readerBID, readerCID}}, "channel_created", &g)
	for _, c := range []*client{senderA, readerB, readerC} {
		c.awaitType("channel_created")
	}
	streamB, streamC := collect(readerB, g.ChannelID), collect(readerC, g.ChannelID)

	both := func(nA, nB int, tag string) (last int64) {
		var wg sync.WaitGroup
		var seqsA, seqsB []int64
		wg.Add(2)
		go func() { defer wg.Done(); seqsA = sendMany(senderA, g.ChannelID, tag+"a", nA) }()
		go func() { defer wg.Done(); seqsB = sendMany(senderB, g.ChannelID, tag+"b", nB) }()
		wg.Wait()
		for _, s := range append(seqsA, seqsB...) {
			last = max(last, s)
		}
		return last
	}

	// 1. Both paths.
	last := both(40, 40, "one")
	checkStream(t, "reader on B, both paths", streamB.waitForSeq(t, "reader on B", last, waitTimeout), 1, last)
	checkStream(t, "reader on C, both paths", streamC.waitForSeq(t, "reader on C", last, waitTimeout), 1, last)

	// 2. The broker stopped: the live path alone.
	pauseBroker(t, brokerDir, syscall.SIGSTOP)
	last = both(40, 40, "two")
	checkStream(t, "reader on B, live path alone", streamB.waitForSeq(t, "reader on B", last, waitTimeout), 1, last)
	checkStream(t, "reader on C, live path alone", streamC.waitForSeq(t, "reader on C", last, waitTimeout), 1, last)

	// 3. Node A killed mid-stream, the broker still stopped.
	joinerID, joinerToken := userOwnedBy(t, nodeB, "live-b")
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); sendMany(senderA, g.ChannelID, "three-a", 1000) }()
	go func() {
		defer wg.Done()
		sendMany(senderB, g.ChannelID, "three-b", 20)
		procA.kill()
		sendMany(senderB, g.ChannelID, "three-c", 20)
	}()
	wg.Wait()
	waitNoSendInFlight(t, dbURL)
	stored := history(nodeC.connect(t, readerCToken), g.ChannelID)
	total := int64(len(stored))
	checkStream(t, "history", stored, 1, total)
	checkStream(t, "reader on B, broker stopped", streamB.waitForSeq(t, "reader on B", total, waitTimeout), 1, total)
	checkStream(t, "reader on C, broker stopped", streamC.waitForSeq(t, "reader on C", total, waitTimeout), 1, total)

	// 4. The broker back: the durable path repeats everything. The
	// consumer group may first have to notice that node A is gone (its
	// session timeout) before it reads A's partitions again.
	pauseBroker(t, brokerDir, syscall.SIGCONT)
	nodeB.connect(t, joinerToken).mustRequest("join_channel", map[string]any{"channelId": g.ChannelID}, "channel_joined", nil)
	streamB.waitJoined(t, "reader on B", joinerID, 60*time.Second)
	streamC.waitJoined(t, "reader on C", joinerID, 60*time.Second)
	checkStream(t, "reader on B, both paths", streamB.messages(), 1, total)
	checkStream(t, "reader on C, both paths", streamC.messages(), 1, total)
}

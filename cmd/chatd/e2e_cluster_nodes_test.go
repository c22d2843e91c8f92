package main

import (
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatd/chat/infrastructure/cluster/etcdtest"
	"github.com/chatd/chat/infrastructure/config"
	"github.com/chatd/chat/infrastructure/postgres/pgtest"
)

// streamTimeout bounds waits that may include a Kafka rebalance after a
// node dies (the group notices a dead member after its 10 s session
// timeout).
const streamTimeout = 60 * time.Second

// ownedUsers creates n users the ring places on nodeID.
func ownedUsers(t testing.TB, s *testServer, nodeID string, n int) (ids, tokens []string) {
	t.Helper()
	for range n {
		id, token := userOwnedBy(t, s, nodeID)
		ids, tokens = append(ids, id), append(tokens, token)
	}
	return ids, tokens
}

// historyAfter pages through a channel's history after seq.
func historyAfter(c *client, channelID string, seq int64) []messagePayload {
	c.t.Helper()
	var all []messagePayload
	for {
		var page struct {
			Messages []messagePayload `json:"messages"`
			HasMore  bool             `json:"hasMore"`
		}
		after := seq
		if len(all) > 0 {
			after = all[len(all)-1].Seq
		}
		c.mustRequest("get_messages", map[string]any{"channelId": channelID, "afterSeq": after, "limit": 100}, "messages", &page)
		all = append(all, page.Messages...)
		if !page.HasMore {
			return all
		}
	}
}

// checkSuffix fails unless msgs is a run of consecutive seqs ending at
// last (or empty): a connection's stream joined mid-way.
func checkSuffix(t testing.TB, who string, msgs []messagePayload, last int64) {
	t.Helper()
	if len(msgs) == 0 {
		return
	}
	checkStream(t, who, msgs, last-int64(len(msgs))+1, last)
}

// sendHeartbeat sends a heartbeat without waiting for the ack, for a
// client whose frames a collector reads.
func sendHeartbeat(c *client, status string) {
	c.sendRaw(fmt.Sprintf(`{"type":"heartbeat","requestId":"hb-%d","payload":{"status":%q}}`, c.next.Add(1), status))
}

// TestClusterKilledNodesUsersCatchUpAndDoNotFlap kills one of three nodes
// (kill -9) in the middle of a stream of sends to a group with members on
// every node. The survivors' members receive the whole stream live, once
// and in order. Members of the killed node who come back connect to their
// new owner, which the ring names once the node's lease expires, and end
// up with every message exactly once and in order (what they had live,
// then get_messages from their last seq); their presence never flaps. A
// member who does not come back goes offline through the sweeper.
func TestClusterKilledNodesUsersCatchUpAndDoNotFlap(t *testing.T) {
	t.Parallel()
	base := testConfig(pgtest.NewDatabase(t))
	// Long enough for a returning user to heartbeat on the new owner
	// (lease expiry + reconnect) before the sweeper gives up on the node.
	base.Presence = config.Presence{NodeHeartbeatInterval: time.Second, NodeGrace: 10 * time.Second, SweepInterval: 500 * time.Millisecond}
	endpoint, prefix := etcdtest.Endpoints(t)[0], etcdtest.Prefix()
	bin := buildChatd(t)
	n1 := startWithConfig(t, clusterConfig(t, base, prefix, endpoint, "kill-1"))
	n2 := startWithConfig(t, clusterConfig(t, base, prefix, endpoint, "kill-2"))
	cfg3 := clusterConfig(t, base, prefix, endpoint, "kill-3")
	cfg3.Cluster.LeaseTTL = 3 * time.Second // how long the ring keeps the dead node
	n3, proc3 := startProcess(t, bin, cfg3)
	for _, n := range []*testServer{n1, n2, n3} {
		n.waitForRing(3)
	}

	_, aliceTokens := ownedUsers(t, n1, "kill-1", 1)
	wendyIDs, wendyTokens := ownedUsers(t, n1, "kill-2", 1)
	victimIDs, victimTokens := ownedUsers(t, n1, "kill-3", 3) // two return, one does not
	alice := n1.connect(t, aliceTokens[0])
	wendy := n2.connect(t, wendyTokens[0])
	victims := make([]*client, len(victimTokens))
	for i, token := range victimTokens {
		victims[i] = n3.connect(t, token)
	}
	var g channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "group", "name": "kill",
		"memberIds": append(append([]string{}, wendyIDs...), victimIDs...)}, "channel_created", &g)
	wendy.awaitType("channel_created")
	for _, v := range victims {
		v.awaitType("channel_created")
	}
	wendyGot := collect(wendy, g.ChannelID)
	victimGot := make([]*received, len(victims))
	for i, v := range victims {
		victimGot[i] = collect(v, g.ChannelID)
		sendHeartbeat(v, "online")
	}
	for _, id := range victimIDs {
		if got := wendyGot.waitForStatuses(t, "wendy", id, 1, waitTimeout); !slices.Equal(got, []string{"online"}) {
			t.Fatalf("wendy sees %s as %v, want online", id, got)
		}
	}

	const total, killAt = 300, 100
	var beforeKill [2][]messagePayload
	for i := 1; i <= total; i++ {
		if i == killAt {
			proc3.kill()
			for _, r := range victimGot {
				r.waitClosed(t, "victim", waitTimeout)
			}
			// The returners come back as soon as the ring names their
			// new owner, while the stream goes on.
			n1.waitForRing(2)
			for r := range 2 {
				victimGot[r].halt()
				beforeKill[r] = victimGot[r].messages()
				owner := n1.gateway(victimTokens[r])
				node := map[string]*testServer{"kill-1": n1, "kill-2": n2}[owner.NodeID]
				if node == nil {
					t.Fatalf("victim %d placed on %+v after the kill", r, owner)
				}
				victims[r] = node.connect(t, victimTokens[r])
				sendHeartbeat(victims[r], "online")
				victimGot[r] = collect(victims[r], g.ChannelID)
			}
		}
		if _, ok := trySend(alice, g.ChannelID, fmt.Sprint("m", i), fmt.Sprint(i)); !ok {
			t.Fatalf("send %d failed on a surviving node", i)
		}
	}

	checkStream(t, "wendy", wendyGot.waitForSeq(t, "wendy", total, streamTimeout), 1, total)
	for r := range 2 {
		who := fmt.Sprintf("returner %d", r)
		live := victimGot[r].waitForSeq(t, who, total, streamTimeout)
		checkSuffix(t, who+" on its new owner", live, total)
		victimGot[r].halt()
		// What it had before the kill is a prefix; get_messages from its
		// end completes it, each message once and in order.
		checkStream(t, who+" before the kill", beforeKill[r], 1, int64(len(beforeKill[r])))
		caughtUp := append(beforeKill[r], historyAfter(victims[r], g.ChannelID, lastSeqOr0(beforeKill[r]))...)
		checkStream(t, who+" after catching up", caughtUp, 1, total)
	}

	// The one who did not return goes offline once the sweeper sees the
	// node's liveness row go stale.
	if got := wendyGot.waitForStatuses(t, "wendy", victimIDs[2], 2, streamTimeout); !slices.Equal(got, []string{"online", "offline"}) {
		t.Fatalf("wendy sees the user who did not return as %v, want online then offline", got)
	}
	// The returners never went offline: the sweep is over (it announced
	// the other user), so an offline each now sends must be the next
	// status wendy sees of them.
	for r := range 2 {
		since := time.Now().UTC().Truncate(time.Millisecond)
		victims[r].heartbeat("offline")
		got := waitForOfflineSince(t, wendyGot, victimIDs[r], since)
		if !slices.Equal(got, []string{"online", "offline"}) {
			t.Errorf("wendy sees returner %d as %v, want online then its own offline: it flapped", r, got)
		}
	}
}

// waitForOfflineSince waits until c announced userID offline with a
// lastEventAt at or after since, and returns the statuses of userID it
// received up to that one.
func waitForOfflineSince(t testing.TB, r *received, userID string, since time.Time) []string {
	t.Helper()
	deadline := time.After(streamTimeout)
	for {
		var statuses []string
		for _, p := range r.presenceOf(userID) {
			statuses = append(statuses, p.Status)
			if p.Status != "offline" || p.LastEventAt == nil {
				continue
			}
			at, err := time.Parse(time.RFC3339Nano, *p.LastEventAt)
			if err != nil {
				t.Fatalf("lastEventAt %q: %v", *p.LastEventAt, err)
			}
			if !at.Before(since) {
				return statuses
			}
		}
		select {
		case <-r.notify:
		case <-deadline:
			t.Fatalf("no offline of %s since %s; statuses %v", userID, since, statuses)
		}
	}
}

// TestClusterNodeAddedUnderLoadTakesAQuarterWithoutLoss adds a fourth node
// while a member streams messages to a group spread over three. The users
// the ring moves to the new node (about a quarter) keep getting the stream
// live on their old node through the grace period, are then closed with
// 4010 and the new node's URL, reconnect there and, with get_messages from
// their last seq, have every message exactly once and in order; nobody
// else is disturbed.
func TestClusterNodeAddedUnderLoadTakesAQuarterWithoutLoss(t *testing.T) {
	t.Parallel()
	base := testConfig(pgtest.NewDatabase(t))
	endpoint, prefix := etcdtest.Endpoints(t)[0], etcdtest.Prefix()
	nodes := map[string]*testServer{}
	for _, id := range []string{"grow-1", "grow-2", "grow-3"} {
		nodes[id] = startWithConfig(t, growConfig(t, base, prefix, endpoint, id))
	}
	for _, n := range nodes {
		n.waitForRing(3)
	}
	n1 := nodes["grow-1"]
	const members = 48
	type member struct {
		id, token, node string
		c               *client
		got             *received
		before          []messagePayload // received on the first connection of a moved member
	}
	var sender *member
	var group []*member
	for len(group) < members || sender == nil {
		id, token := n1.newUser("m")
		m := &member{id: id, token: token, node: n1.gateway(token).NodeID}
		// The sender must stay where it is; the ring of four decides.
		if sender == nil && ringOwner(t, id, "grow-1", "grow-2", "grow-3", "grow-4") == m.node {
			sender = m
			continue
		}
		if len(group) < members {
			group = append(group, m)
		}
	}
	// pair is alone with the sender in a direct channel and moves from a
	// node other than the sender's: its old node gets that channel's
	// events only through the handover.
	var pair *member
	for pair == nil {
		id, token := n1.newUser("p")
		node := n1.gateway(token).NodeID
		if node != sender.node && ringOwner(t, id, "grow-1", "grow-2", "grow-3", "grow-4") == "grow-4" {
			pair = &member{id: id, token: token, node: node}
		}
	}
	sender.c = nodes[sender.node].connect(t, sender.token)
	pair.c = nodes[pair.node].connect(t, pair.token)
	var direct channelPayload
	sender.c.mustRequest("create_channel", map[string]any{"channelType": "direct", "memberIds": []string{pair.id}}, "channel_created", &direct)
	pair.c.awaitType("channel_created")
	pair.got = collect(pair.c, direct.ChannelID)
	ids := make([]string, len(group))
	for i, m := range group {
		ids[i] = m.id
		m.c = nodes[m.node].connect(t, m.token)
	}
	var g channelPayload
	sender.c.mustRequest("create_channel", map[string]any{"channelType": "group", "name": "grow", "memberIds": ids}, "channel_created", &g)
	for _, m := range group {
		m.c.awaitType("channel_created")
		m.got = collect(m.c, g.ChannelID)
	}

	// Stream in the background until told to stop.
	stop := make(chan struct{})
	sent := make(chan int64, 1)
	var acked, directAcked atomic.Int64 // the sender's last acknowledged seqs
	go func() {
		var seq int64
		defer func() { sent <- seq }()
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			m, ok := trySend(sender.c, g.ChannelID, fmt.Sprint("m", i), fmt.Sprint(i))
			if !ok {
				return
			}
			seq = m.Seq
			acked.Store(seq)
			d, ok := trySend(sender.c, direct.ChannelID, fmt.Sprint("d", i), fmt.Sprint("d", i))
			if !ok {
				return
			}
			directAcked.Store(d.Seq)
		}
	}()
	streamFlows(t, group[0].got, 20)

	n4 := startWithConfig(t, growConfig(t, base, prefix, endpoint, "grow-4"))
	nodes["grow-4"] = n4
	for _, n := range nodes {
		n.waitForRing(4)
	}
	// Every node routes by the ring of four from here on; what the moved
	// members still get on their old node after this is the handover.
	changedAt, directChangedAt := acked.Load(), directAcked.Load()
	var moved []*member
	for _, m := range group {
		if ringOwner(t, m.id, "grow-1", "grow-2", "grow-3", "grow-4") == "grow-4" {
			moved = append(moved, m)
		}
	}
	// The handover: the moved members' old connections go on getting the
	// stream after the change, on the live path at once and on the
	// durable path once the fan-out group has rebalanced. Once each has
	// something sent after the change, the old nodes end the grace.
	for _, m := range moved {
		m.got.waitForSeq(t, "moved member on its old node", changedAt+1, streamTimeout)
	}
	pair.got.waitForSeq(t, "pair on its old node", directChangedAt+1, streamTimeout)
	for _, id := range []string{"grow-1", "grow-2", "grow-3"} {
		nodes[id].endGrace()
	}
	// Each moved member is closed at the end of the grace, and reconnects
	// to the new owner, as GET /v1/gateway names it.
	for _, m := range moved {
		m.got.waitClosed(t, "moved member", streamTimeout)
		m.got.halt()
		m.before = m.got.messages()
		if gw := n1.gateway(m.token); gw.NodeID != "grow-4" || gw.URL != n4.wsURL() {
			t.Fatalf("gateway for a moved member = %+v", gw)
		}
		m.c = n4.connect(t, m.token)
		m.got = collect(m.c, g.ChannelID)
	}
	pair.got.waitClosed(t, "pair", streamTimeout)
	pair.got.halt()
	pair.before = pair.got.messages()
	pair.c = n4.connect(t, pair.token)
	pair.got = collect(pair.c, direct.ChannelID)
	// Let the stream run on a while with everyone in place, then stop.
	if len(moved) == 0 {
		t.Fatal("the fourth node took no member")
	}
	streamFlows(t, moved[0].got, 20)
	close(stop)
	last := <-sent
	if last == 0 {
		t.Fatal("the sender's stream broke")
	}

	lastDirect := directAcked.Load()
	live := pair.got.waitForSeq(t, "pair", lastDirect, streamTimeout)
	pair.got.halt()
	checkStream(t, "pair before the move", pair.before, 1, int64(len(pair.before)))
	checkSuffix(t, "pair on grow-4", live, lastDirect)
	if lastSeqOr0(pair.before) <= directChangedAt {
		t.Errorf("pair got nothing on its old node after the ring changed (up to seq %d, changed at %d): no handover",
			lastSeqOr0(pair.before), directChangedAt)
	}
	checkStream(t, "pair after catching up",
		append(pair.before, historyAfter(pair.c, direct.ChannelID, lastSeqOr0(pair.before))...), 1, lastDirect)

	share := float64(len(moved)) / members
	t.Logf("the fourth node took %d of %d members; the stream ran to seq %d", len(moved), members, last)
	if share < 0.10 || share > 0.45 {
		t.Errorf("the fourth node took %d of %d members (%.0f%%), want about a quarter", len(moved), members, 100*share)
	}
	for i, m := range group {
		who := fmt.Sprintf("member %d (%s)", i, m.node)
		live := m.got.waitForSeq(t, who, last, streamTimeout)
		m.got.halt()
		if m.before == nil {
			if m.got.isClosed() {
				t.Fatalf("%s was closed but does not move", who)
			}
			checkStream(t, who, live, 1, last)
			continue
		}
		checkStream(t, who+" before the move", m.before, 1, int64(len(m.before)))
		if lastSeqOr0(m.before) <= changedAt {
			t.Errorf("%s got nothing on its old node after the ring changed (up to seq %d, changed at %d): no handover", who, lastSeqOr0(m.before), changedAt)
		}
		checkSuffix(t, who+" on grow-4", live, last)
		caughtUp := append(m.before, historyAfter(m.c, g.ChannelID, lastSeqOr0(m.before))...)
		checkStream(t, who+" after catching up", caughtUp, 1, last)
	}
}

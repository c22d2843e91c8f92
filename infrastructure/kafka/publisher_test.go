package kafka

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/infrastructure/eventcodec"
)

func messageEvent(channelID string, seq int64) domain.Event {
	return domain.Event{Type: domain.EventMessageCreated, ChannelID: channelID, Message: &domain.Message{
		ID: uuid.NewString(), ChannelID: channelID, SenderID: "alice", ClientMessageID: fmt.Sprint(seq),
		Body: "hello", Seq: seq, Status: domain.MessageSent, CreatedAt: time.Now().UTC(),
	}}
}

func presenceEvent(userID string, status domain.PresenceStatus) domain.Event {
	return domain.Event{Type: domain.EventPresenceChanged, UserID: userID, ChannelIDs: []string{uuid.NewString()},
		Presence: &domain.UserPresence{UserID: userID, Status: status, LastEventAt: time.Now().UTC()}}
}

func TestPublisherKeepsEachChannelInSeqOrderOnItsTopic(t *testing.T) {
	t.Parallel()
	cluster, cfg := openTestCluster(t, "node-a")
	pub, reg := newTestPublisher(t, cluster)

	channels := []string{uuid.NewString(), uuid.NewString(), uuid.NewString()}
	const perChannel = 40
	var events []domain.Event
	for seq := int64(1); seq <= perChannel; seq++ {
		for _, ch := range channels {
			events = append(events, messageEvent(ch, seq))
		}
	}
	presence := []domain.Event{presenceEvent("bob", domain.PresenceOnline), presenceEvent("bob", domain.PresenceOffline)}
	for i := 0; i < len(events); i += 25 {
		if err := pub.Deliver(context.Background(), events[i:min(i+25, len(events))]); err != nil {
			t.Fatalf("Deliver: %v", err)
		}
	}
	if err := pub.Deliver(context.Background(), presence); err != nil {
		t.Fatalf("Deliver presence: %v", err)
	}

	next := map[string]int64{}
	partitionOf := map[string]int32{}
	for _, rec := range readAll(t, cfg.Brokers, cluster.Topics().Events, len(events)) {
		e, err := eventcodec.DecodeEvent(rec.Value)
		if err != nil {
			t.Fatal(err)
		}
		if string(rec.Key) != e.ChannelID {
			t.Fatalf("record key %q, want channel id %s", rec.Key, e.ChannelID)
		}
		if p, seen := partitionOf[e.ChannelID]; seen && p != rec.Partition {
			t.Fatalf("channel %s spread over partitions %d and %d", e.ChannelID, p, rec.Partition)
		}
		partitionOf[e.ChannelID] = rec.Partition
		if want := next[e.ChannelID] + 1; e.Message.Seq != want {
			t.Fatalf("channel %s: seq %d after %d", e.ChannelID, e.Message.Seq, want-1)
		}
		next[e.ChannelID] = e.Message.Seq
	}
	for _, ch := range channels {
		if next[ch] != perChannel {
			t.Fatalf("channel %s: read up to seq %d, want %d", ch, next[ch], perChannel)
		}
	}

	recs := readAll(t, cfg.Brokers, cluster.Topics().Presence, len(presence))
	for i, rec := range recs {
		e, err := eventcodec.DecodeEvent(rec.Value)
		if err != nil {
			t.Fatal(err)
		}
		if string(rec.Key) != "bob" || e.Presence.Status != presence[i].Presence.Status {
			t.Fatalf("presence record %d: key %q status %s, want bob %s", i, rec.Key, e.Presence.Status, presence[i].Presence.Status)
		}
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		m := f.GetMetric()[0]
		got[f.GetName()] = m.GetCounter().GetValue() + float64(m.GetHistogram().GetSampleCount())
	}
	if got["chatd_kafka_published_events_total"] != float64(len(events)+len(presence)) || got["chatd_kafka_publish_duration_seconds"] != 6 {
		t.Fatalf("metrics = %v, want %d events published in 6 batches", got, len(events)+len(presence))
	}
}

func TestPublisherRefusesEventsWithoutKey(t *testing.T) {
	t.Parallel()
	cluster, _ := openTestCluster(t, "node-a")
	pub, _ := newTestPublisher(t, cluster)
	err := pub.Deliver(context.Background(), []domain.Event{{Type: domain.EventMessageCreated}})
	if err == nil {
		t.Fatal("an event without a channel id was published")
	}
}

func TestOpenKeepsExistingTopics(t *testing.T) {
	t.Parallel()
	first, cfg := openTestCluster(t, "node-a")
	cfg.Partitions = 7
	second := openWith(t, cfg, "node-b")
	for _, topic := range second.Topics().All() {
		partitions, err := second.client.Partitions(topic)
		if err != nil {
			t.Fatal(err)
		}
		if len(partitions) != 4 {
			t.Fatalf("%s has %d partitions after a second Open with 7, want the original 4", topic, len(partitions))
		}
	}
	if first.GroupID() == second.GroupID() {
		t.Fatalf("nodes share group %s", first.GroupID())
	}
	if err := second.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

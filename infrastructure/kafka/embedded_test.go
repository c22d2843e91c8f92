package kafka

import (
	"bytes"
	"testing"

	"github.com/IBM/sarama"
)

// TestEmbeddedBrokerRetention fills a partition of the embedded broker
// with four times its retention, reads it all, applies the retention once
// (what the broker's loop does every few seconds) and counts what the
// partition still holds: at most the bound plus the segment being
// written, and at least the newest records, which a consumer still reads
// from the new oldest offset.
func TestEmbeddedBrokerRetention(t *testing.T) {
	brokers, broker, err := startEmbedded("127.0.0.1:0", 1, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer broker.Close()

	const (
		topic      = "retention-test"
		recordSize = 1000
	)
	records := 4 * embeddedRetentionBytes / recordSize
	adminCfg := baseConfig("retention-test")
	adminCfg.Metadata.Full = true // no topic exists yet to ask about
	admin, err := sarama.NewClusterAdmin(brokers, adminCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false); err != nil {
		t.Fatal(err)
	}
	cfg := baseConfig("retention-test")
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	producer, err := sarama.NewSyncProducer(brokers, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	value := bytes.Repeat([]byte("x"), recordSize)
	batch := make([]*sarama.ProducerMessage, 0, 100)
	for i := 0; i < records; i++ {
		batch = append(batch, &sarama.ProducerMessage{Topic: topic, Value: sarama.ByteEncoder(value)})
		if len(batch) == cap(batch) || i == records-1 {
			if err := producer.SendMessages(batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if got := readAll(t, brokers, topic, records); len(got) != records {
		t.Fatalf("read %d records before retention, want %d", len(got), records)
	}

	client, err := sarama.NewClient(brokers, baseConfig("retention-test"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	oldest := func() int64 {
		t.Helper()
		off, err := client.GetOffset(topic, 0, sarama.OffsetOldest)
		if err != nil {
			t.Fatal(err)
		}
		return off
	}
	if off := oldest(); off != 0 {
		t.Fatalf("oldest offset before retention = %d, want 0", off)
	}
	broker.cluster.ApplyRetention()
	newest, err := client.GetOffset(topic, 0, sarama.OffsetNewest)
	if err != nil {
		t.Fatal(err)
	}
	retained := newest - oldest()
	maxRetained := int64((embeddedRetentionBytes + embeddedSegmentBytes) / recordSize)
	t.Logf("produced %d records of %d bytes; %d retained (bound %d)", records, recordSize, retained, maxRetained)
	if retained > maxRetained {
		t.Errorf("retained %d records (%d bytes), over the bound of %d bytes plus a segment", retained, retained*recordSize, embeddedRetentionBytes)
	}
	if retained < int64(embeddedRetentionBytes/recordSize/2) {
		t.Errorf("retained only %d records; the newest %d bytes should stay", retained, embeddedRetentionBytes)
	}
	if got := readAll(t, brokers, topic, int(retained)); len(got) != int(retained) {
		t.Fatalf("read %d retained records, want %d", len(got), retained)
	}
}

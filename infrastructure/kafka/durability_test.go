package kafka

import (
	"strings"
	"testing"
)

func TestDurabilityProblems(t *testing.T) {
	tests := []struct {
		brokers, replication, minISR int
		want                         []string // substrings, one per problem
	}{
		{1, 1, 1, nil}, // a single broker: nothing to replicate to
		{3, 3, 2, nil},
		{5, 3, 3, nil},
		{3, 1, 1, []string{"replication factor 1", "min.insync.replicas 1"}},
		{3, 3, 1, []string{"min.insync.replicas 1"}},
		{2, 2, 2, []string{"replication factor 2"}},
	}
	for _, tt := range tests {
		got := durabilityProblems("chat.events.v1", tt.brokers, tt.replication, tt.minISR)
		if len(got) != len(tt.want) {
			t.Fatalf("durabilityProblems(%d brokers, rf %d, minISR %d) = %q, want %d problems",
				tt.brokers, tt.replication, tt.minISR, got, len(tt.want))
		}
		for i, w := range tt.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("problem %q does not mention %q", got[i], w)
			}
		}
	}
}

// TestDurabilityReadsTheCluster reads the topics' replication from the
// real test broker: one broker, replication factor 1, and Kafka's default
// min.insync.replicas of 1.
func TestDurabilityReadsTheCluster(t *testing.T) {
	t.Parallel()
	c, cfg := openTestCluster(t, "durability")
	found, err := c.durability()
	if err != nil {
		t.Fatalf("durability: %v", err)
	}
	if len(found) != len(NewTopics(cfg.TopicPrefix).All()) {
		t.Fatalf("durability of %d topics, want %d: %+v", len(found), len(NewTopics(cfg.TopicPrefix).All()), found)
	}
	for _, d := range found {
		if d.brokers != 1 || d.replication != 1 || d.minISR != 1 {
			t.Errorf("%s: %+v, want 1 broker, replication 1, min.insync.replicas 1", d.topic, d)
		}
	}
}

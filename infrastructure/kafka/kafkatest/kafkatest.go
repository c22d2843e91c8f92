// Package kafkatest gives tests the real Apache Kafka broker that
// `make test` starts (scripts/kafka.sh), and topic prefixes of their own so
// tests sharing that broker run in parallel without seeing each other's
// events.
package kafkatest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

// EnvBrokers names the variable holding the test broker's bootstrap
// addresses, comma separated: the output of `scripts/kafka.sh start DIR`.
const EnvBrokers = "CHAT_TEST_KAFKA_BROKERS"

// Brokers returns the test broker's addresses. Without the variable the
// test is skipped, except under CI (env CI set), where a missing broker is
// a failure rather than a silently skipped suite.
func Brokers(t testing.TB) []string {
	t.Helper()
	brokers := FromEnv()
	if len(brokers) == 0 {
		msg := EnvBrokers + " is not set; start a broker with `scripts/kafka.sh start /tmp/kafka-dev` and export its address"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return brokers
}

// FromEnv returns the addresses in CHAT_TEST_KAFKA_BROKERS, or nil.
func FromEnv() []string {
	var out []string
	for _, b := range strings.Split(os.Getenv(EnvBrokers), ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}

// TopicPrefix returns a fresh prefix for topic and group names, such as
// "t-3f9a0c1d2b4e5f60.".
func TopicPrefix() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return "t-" + hex.EncodeToString(b) + "."
}

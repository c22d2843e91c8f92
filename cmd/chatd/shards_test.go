package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chatd/chat/infrastructure/config"
	"github.com/chatd/chat/infrastructure/postgres/pgtest"
)

// testShardsEnv names how many shard databases each test server's
// directory starts with: make test runs this suite once on the directory
// alone (unset or 1) and once more over 3 shards.
const testShardsEnv = "CHAT_TEST_SHARDS"

// testShardURLs remembers the shards made for a directory, so that every
// node of one test's cluster is configured alike (the map in the
// directory decides anyway; alike configs keep its warning out of logs).
var testShardURLs sync.Map

// withTestShards gives cfg the suite's shard databases, unless the test
// set its own.
func withTestShards(t testing.TB, cfg *config.Config) {
	t.Helper()
	n, _ := strconv.Atoi(os.Getenv(testShardsEnv))
	if n <= 1 || cfg.Shards.URLs != "" || cfg.DatabaseURL == "" {
		return
	}
	if urls, ok := testShardURLs.Load(cfg.DatabaseURL); ok {
		cfg.Shards.URLs = urls.(string)
		return
	}
	cfg.Shards.URLs = newShardURLs(t, n)
	testShardURLs.Store(cfg.DatabaseURL, cfg.Shards.URLs)
}

// newShardURLs creates n fresh shard databases as CHAT_SHARD_URLS.
func newShardURLs(t testing.TB, n int) string {
	t.Helper()
	pairs := make([]string, n)
	for i := range pairs {
		pairs[i] = fmt.Sprintf("s%d=%s", i+1, pgtest.NewDatabase(t))
	}
	return strings.Join(pairs, ",")
}

// deploymentDatabases returns the URLs of a test deployment's databases:
// its directory and the shards the suite gave it.
func deploymentDatabases(dbURL string) []string {
	urls := []string{dbURL}
	if list, ok := testShardURLs.Load(dbURL); ok {
		for _, url := range shardURLMap(list.(string)) {
			urls = append(urls, url)
		}
	}
	return urls
}

// shardURLMap reads a CHAT_SHARD_URLS list as shard id to URL.
func shardURLMap(list string) map[string]string {
	out := map[string]string{}
	for _, pair := range strings.Split(list, ",") {
		if id, url, ok := strings.Cut(pair, "="); ok {
			out[id] = url
		}
	}
	return out
}

// ownShards marks a test that sets its shards itself: the suite's pass
// over test shards would run it exactly as the first pass did, so it
// runs once.
func ownShards(t *testing.T) {
	t.Helper()
	if n, _ := strconv.Atoi(os.Getenv(testShardsEnv)); n > 1 {
		t.Skip("sets its own shards; the suite's first pass runs it")
	}
}

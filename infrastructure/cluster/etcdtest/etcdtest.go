// Package etcdtest gives tests the real etcd that `make test` starts
// (scripts/etcd.sh), and key prefixes of their own so tests sharing that
// etcd run in parallel without seeing each other's nodes.
package etcdtest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

// EnvEndpoints names the variable holding the test etcd's client URLs,
// comma separated: the output of `scripts/etcd.sh start DIR`.
const EnvEndpoints = "CHAT_TEST_ETCD_ENDPOINTS"

// Endpoints returns the test etcd's client URLs. Without the variable the
// test is skipped, except under CI (env CI set), where a missing etcd is a
// failure rather than a silently skipped suite.
func Endpoints(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, e := range strings.Split(os.Getenv(EnvEndpoints), ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		msg := EnvEndpoints + " is not set; start etcd with `scripts/etcd.sh start /tmp/etcd-dev` and export its URL"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return out
}

// Prefix returns a key prefix no other test uses, so each test sees a ring
// of only its own nodes.
func Prefix() string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		panic(err) // the OS has no entropy; nothing sensible remains
	}
	return "/chatd-test/" + hex.EncodeToString(b) + "/nodes/"
}

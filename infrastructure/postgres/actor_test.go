package postgres

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// TestHMACPadsMatchTheStandardHMAC computes the HMAC the way migration
// 00010 does (sha256 over the stored pads) and compares with crypto/hmac,
// for a short key and one longer than the block.
func TestHMACPadsMatchTheStandardHMAC(t *testing.T) {
	for _, key := range [][]byte{ActorKey("secret-of-sixteen"), []byte("a key that is longer than sixty-four bytes, so HMAC hashes it first!")} {
		inner, outer := hmacPads(key)
		for _, user := range []string{"alice", "ユーザー", ""} {
			innerSum := sha256.Sum256(append(append([]byte{}, inner...), user...))
			outerSum := sha256.Sum256(append(append([]byte{}, outer...), innerSum[:]...))
			if got, want := hex.EncodeToString(outerSum[:]), actorProof(key, user); got != want {
				t.Fatalf("key %q, user %q: pads give %s, crypto/hmac %s", key, user, got, want)
			}
		}
	}
}

func TestActorKeyDependsOnTheSecret(t *testing.T) {
	if string(ActorKey("one-secret-value")) == string(ActorKey("another-secret-value")) {
		t.Fatal("two secrets derived the same actor key")
	}
	if actorProof(ActorKey("s-secret-value-1"), "a") == actorProof(ActorKey("s-secret-value-1"), "b") {
		t.Fatal("two users got the same proof")
	}
}

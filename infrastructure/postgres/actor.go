package postgres

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// actorKeyPurpose separates the actor key from every other use of the
// secret it is derived from.
const actorKeyPurpose = "chatd database actor key v1"

// ActorKey derives the key that proves the acting user to the database
// (migration 00010) from a secret every node of a deployment shares. The
// JWT secret is the natural one: whoever holds it can act as any user
// already, by minting tokens, so the derived key grants nothing more.
func ActorKey(secret string) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(actorKeyPurpose))
	return mac.Sum(nil)
}

// actorProof is HMAC-SHA256(key, userID) in hex: what chat_current_user()
// demands in app.user_proof before it believes app.user_id.
func actorProof(key []byte, userID string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(userID))
	return hex.EncodeToString(mac.Sum(nil))
}

// hmacPads returns the key's inner and outer padded blocks (RFC 2104) as
// chat_actor_key stores them, so the database computes the same HMAC with
// its built-in sha256 and no extension. Keys longer than the block are
// hashed first, as HMAC does.
func hmacPads(key []byte) (inner, outer []byte) {
	const block = 64
	if len(key) > block {
		sum := sha256.Sum256(key)
		key = sum[:]
	}
	inner, outer = make([]byte, block), make([]byte, block)
	copy(inner, key)
	copy(outer, key)
	for i := range block {
		inner[i] ^= 0x36
		outer[i] ^= 0x5c
	}
	return inner, outer
}

package main

import (
	"testing"

	"github.com/chatd/chat/infrastructure/config"
)

func TestEmbeddedSecretsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"CHAT_DATA_DIR": dir}
	getenv := func(k string) string { return env[k] }
	first, err := config.Load(embeddedGetenv(getenv))
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Generated) != 2 {
		t.Fatalf("first run generated %v", first.Generated)
	}
	if err := saveGeneratedSecrets(first); err != nil {
		t.Fatal(err)
	}
	second, err := config.Load(embeddedGetenv(getenv))
	if err != nil {
		t.Fatal(err)
	}
	if len(second.Generated) != 0 || second.AdminToken != first.AdminToken || second.JWTSecret != first.JWTSecret {
		t.Fatalf("second run did not reuse the saved secrets: generated %v", second.Generated)
	}
	env["CHAT_JWT_SECRET"] = "explicit-secret-0123456789"
	third, _ := config.Load(embeddedGetenv(getenv))
	if third.JWTSecret != "explicit-secret-0123456789" || third.AdminToken != first.AdminToken {
		t.Fatal("an explicit setting must win over a saved one")
	}
	env["DATABASE_URL"] = "postgres://db/chat"
	if _, err := config.Load(embeddedGetenv(getenv)); err == nil {
		t.Fatal("saved embedded secrets must not leak into a real deployment's config")
	}
}

package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaultsEmbedded(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:8080" || c.SendRate != 20 || c.SendBurst != 40 || c.PresenceTimeout != 30*time.Second ||
		c.HeartbeatInterval != 10*time.Second || c.MaxConnectionsPerUser != 32 || c.WebDir != "web/out" {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if !c.Embedded() || len(c.AdminToken) < minSecretLength || len(c.JWTSecret) < minSecretLength {
		t.Fatalf("embedded mode must generate secrets: %+v", c)
	}
	if len(c.Generated) != 2 {
		t.Fatalf("generated = %v, want both secrets", c.Generated)
	}
	other, _ := Load(env(nil))
	if other.JWTSecret == c.JWTSecret {
		t.Fatal("generated secrets must differ between starts")
	}
}

func TestLoadReadsEverything(t *testing.T) {
	c, err := Load(env(map[string]string{
		"CHAT_HTTP_ADDR":                "0.0.0.0:9000",
		"CHAT_ADMIN_TOKEN":              "admin-token-0123456789",
		"CHAT_JWT_SECRET":               "jwt-secret-0123456789",
		"DATABASE_URL":                  "postgres://x@db/chat",
		"CHAT_NODE_ID":                  "n7",
		"CHAT_SEND_RATE":                "2.5",
		"CHAT_SEND_BURST":               "3",
		"CHAT_ALLOWED_ORIGINS":          " localhost:3000, *.example.com ,",
		"CHAT_PRESENCE_TIMEOUT":         "2s",
		"CHAT_HEARTBEAT_INTERVAL":       "500ms",
		"CHAT_MAX_CONNECTIONS_PER_USER": "3",
		"CHAT_WEB_DIR":                  "/srv/chat-web",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "0.0.0.0:9000" || c.NodeID != "n7" || c.SendRate != 2.5 || c.SendBurst != 3 || c.PresenceTimeout != 2*time.Second || c.WebDir != "/srv/chat-web" {
		t.Fatalf("settings not read: %+v", c)
	}
	if c.HeartbeatInterval != 500*time.Millisecond || c.MaxConnectionsPerUser != 3 {
		t.Fatalf("heartbeat %v, max connections %d: not read", c.HeartbeatInterval, c.MaxConnectionsPerUser)
	}
	if len(c.AllowedOrigins) != 2 || c.AllowedOrigins[1] != "*.example.com" {
		t.Fatalf("origins = %q", c.AllowedOrigins)
	}
	if c.Embedded() || len(c.Generated) != 0 {
		t.Fatalf("external database must not generate secrets: %+v", c)
	}
}

func TestLoadRejects(t *testing.T) {
	base := map[string]string{"DATABASE_URL": "postgres://x@db/chat", "CHAT_ADMIN_TOKEN": "admin-token-0123456789", "CHAT_JWT_SECRET": "jwt-secret-0123456789"}
	tests := []struct {
		name, key, value, want string
	}{
		{"rate not a number", "CHAT_SEND_RATE", "fast", "CHAT_SEND_RATE"},
		{"rate zero", "CHAT_SEND_RATE", "0", "CHAT_SEND_RATE"},
		{"burst negative", "CHAT_SEND_BURST", "-1", "CHAT_SEND_BURST"},
		{"address without port", "CHAT_HTTP_ADDR", "localhost", "CHAT_HTTP_ADDR"},
		{"timeout garbage", "CHAT_PRESENCE_TIMEOUT", "soon", "CHAT_PRESENCE_TIMEOUT"},
		{"heartbeat zero", "CHAT_HEARTBEAT_INTERVAL", "0s", "CHAT_HEARTBEAT_INTERVAL"},
		{"connection cap zero", "CHAT_MAX_CONNECTIONS_PER_USER", "0", "CHAT_MAX_CONNECTIONS_PER_USER"},
		{"admin token missing with real database", "CHAT_ADMIN_TOKEN", "", "CHAT_ADMIN_TOKEN is required"},
		{"jwt secret missing with real database", "CHAT_JWT_SECRET", "", "CHAT_JWT_SECRET is required"},
		{"short secret", "CHAT_JWT_SECRET", "short", "at least 16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := map[string]string{}
			for k, v := range base {
				m[k] = v
			}
			m[tt.key] = tt.value
			_, err := Load(env(m))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

// A clustered node's sweeper must outwait the etcd lease, so the users of
// a crashed node can reconnect elsewhere before they are declared offline.
func TestLoadRejectsASweeperFasterThanTheLease(t *testing.T) {
	m := map[string]string{
		"DATABASE_URL": "postgres://x@db/chat", "CHAT_ADMIN_TOKEN": "admin-token-0123456789", "CHAT_JWT_SECRET": "jwt-secret-0123456789",
		"ETCD_ENDPOINTS": "http://e1:2379", "CHAT_CLUSTER_SECRET": "cluster-secret-0123",
		"CHAT_NODE_HEARTBEAT_INTERVAL": "1s", "CHAT_NODE_GRACE": "10s", "CHAT_ETCD_LEASE_TTL": "10s",
	}
	if _, err := Load(env(m)); err == nil || !strings.Contains(err.Error(), "must exceed CHAT_ETCD_LEASE_TTL") {
		t.Fatalf("grace equal to the lease TTL: %v", err)
	}
	m["CHAT_NODE_GRACE"] = "11s"
	if _, err := Load(env(m)); err != nil {
		t.Fatalf("grace longer than the lease TTL: %v", err)
	}
}

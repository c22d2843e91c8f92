package config

import (
	"strings"
	"testing"
	"time"
)

func TestLoadPresence(t *testing.T) {
	p, err := loadPresence(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if p != (Presence{NodeHeartbeatInterval: 5 * time.Second, NodeGrace: time.Minute, SweepInterval: 30 * time.Second}) {
		t.Fatalf("defaults = %+v", p)
	}
	p, err = loadPresence(env(map[string]string{
		"CHAT_NODE_HEARTBEAT_INTERVAL": "2s",
		"CHAT_NODE_GRACE":              "20s",
		"CHAT_PRESENCE_SWEEP_INTERVAL": "10s",
	}))
	if err != nil || p != (Presence{NodeHeartbeatInterval: 2 * time.Second, NodeGrace: 20 * time.Second, SweepInterval: 10 * time.Second}) {
		t.Fatalf("loadPresence = %+v, %v", p, err)
	}
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"CHAT_NODE_GRACE": "soon"}, "CHAT_NODE_GRACE"},
		{map[string]string{"CHAT_PRESENCE_SWEEP_INTERVAL": "-1s"}, "CHAT_PRESENCE_SWEEP_INTERVAL"},
		{map[string]string{"CHAT_NODE_HEARTBEAT_INTERVAL": "40s"}, "at least twice"},
		{map[string]string{"CHAT_NODE_GRACE": "9m", "CHAT_PRESENCE_SWEEP_INTERVAL": "2m"}, "must not exceed"},
	} {
		if _, err := loadPresence(env(tt.env)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("loadPresence(%v) = %v, want an error about %s", tt.env, err, tt.want)
		}
	}
}

package config

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLoadCluster(t *testing.T) {
	c, err := loadCluster(env(nil), "127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	want := Cluster{Prefix: "/chatd/nodes/", InternalURL: "http://127.0.0.1:8080", Weight: 1, VirtualNodes: 1024, LeaseTTL: 10 * time.Second, MigrationGrace: 30 * time.Second}
	if diff := cmp.Diff(want, c); diff != "" || c.Clustered() {
		t.Fatalf("defaults (-want +got):\n%s", diff)
	}

	c, err = loadCluster(env(map[string]string{
		"ETCD_ENDPOINTS":          "http://e1:2379, http://e2:2379",
		"CHAT_ETCD_PREFIX":        "/ring",
		"CHAT_NODE_WEIGHT":        "2",
		"CHAT_RING_VIRTUAL_NODES": "256",
		"CHAT_ETCD_LEASE_TTL":     "5s",
		"CHAT_CLUSTER_SECRET":     "0123456789abcdef",
		"CHAT_MIGRATION_GRACE":    "2s",
	}), "10.0.0.7:9000")
	if err != nil {
		t.Fatal(err)
	}
	want = Cluster{EtcdEndpoints: []string{"http://e1:2379", "http://e2:2379"}, Prefix: "/ring/", WSURL: "ws://10.0.0.7:9000/ws",
		InternalURL: "http://10.0.0.7:9000", Weight: 2, VirtualNodes: 256, LeaseTTL: 5 * time.Second,
		Secret: "0123456789abcdef", MigrationGrace: 2 * time.Second}
	if diff := cmp.Diff(want, c); diff != "" || !c.Clustered() {
		t.Fatalf("clustered (-want +got):\n%s", diff)
	}

	// A wildcard listen address is advertised under the host name.
	c, err = loadCluster(env(map[string]string{"ETCD_ENDPOINTS": "http://e1:2379", "CHAT_CLUSTER_SECRET": "0123456789abcdef"}), ":8080")
	host, _ := os.Hostname()
	if err != nil || c.WSURL != "ws://"+host+":8080/ws" {
		t.Fatalf("wildcard address: %q, %v", c.WSURL, err)
	}
	// A derived address is advertised but not trusted as the public one.
	if c.PublicWSURL != "" {
		t.Fatalf("derived address reported as configured: %q", c.PublicWSURL)
	}
	c, err = loadCluster(env(map[string]string{"CHAT_PUBLIC_WS_URL": "wss://chat.example.com/ws"}), "127.0.0.1:8080")
	if err != nil || c.WSURL != "wss://chat.example.com/ws" || c.PublicWSURL != c.WSURL {
		t.Fatalf("configured address: %+v, %v", c, err)
	}

	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"CHAT_NODE_WEIGHT": "0"}, "CHAT_NODE_WEIGHT"},
		{map[string]string{"CHAT_RING_VIRTUAL_NODES": "many"}, "CHAT_RING_VIRTUAL_NODES"},
		{map[string]string{"CHAT_ETCD_LEASE_TTL": "500ms"}, "at least 1s"},
		{map[string]string{"CHAT_PUBLIC_WS_URL": "chat.example.com/ws"}, "CHAT_PUBLIC_WS_URL"},
		{map[string]string{"CHAT_MIGRATION_GRACE": "-1s"}, "CHAT_MIGRATION_GRACE"},
		// Nodes of a ring must prove who they are to each other.
		{map[string]string{"ETCD_ENDPOINTS": "http://e1:2379"}, "CHAT_CLUSTER_SECRET"},
		{map[string]string{"ETCD_ENDPOINTS": "http://e1:2379", "CHAT_CLUSTER_SECRET": "short"}, "CHAT_CLUSTER_SECRET"},
	} {
		if _, err := loadCluster(env(tt.env), "127.0.0.1:8080"); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("loadCluster(%v) = %v, want an error about %s", tt.env, err, tt.want)
		}
	}
}

package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/chatd/chat/domain"
)

// Cluster is how a node takes part in the consistent hash ring: where etcd
// is, what the node advertises there, and how many users it should take.
// With no etcd endpoints the node is a ring of one and owns every user.
type Cluster struct {
	// EtcdEndpoints are etcd client URLs (ETCD_ENDPOINTS, comma
	// separated); empty means a single node without membership.
	EtcdEndpoints []string
	// Prefix is the etcd key prefix under which nodes register
	// (CHAT_ETCD_PREFIX); nodes that share it form one ring.
	Prefix string
	// WSURL is where clients open this node's WebSocket
	// (CHAT_PUBLIC_WS_URL). Unset, a clustered node derives
	// ws://host:port/ws from CHAT_HTTP_ADDR, and a single node answers with
	// the address the client used.
	WSURL string
	// PublicWSURL is CHAT_PUBLIC_WS_URL as configured, empty when unset
	// (even where WSURL was derived): only an address the operator gave is
	// trusted as the service's own origin by the Origin check.
	PublicWSURL string
	// InternalURL is where other nodes reach this one
	// (CHAT_INTERNAL_URL, default http://host:port of CHAT_HTTP_ADDR).
	InternalURL string
	// Weight scales this node's share of users (CHAT_NODE_WEIGHT, default 1).
	Weight int
	// VirtualNodes is the ring's points per unit of weight
	// (CHAT_RING_VIRTUAL_NODES); every node of a ring must use the same
	// value, or they would disagree on owners.
	VirtualNodes int
	// LeaseTTL is how long etcd keeps a silent node registered
	// (CHAT_ETCD_LEASE_TTL, whole seconds, default 10s): the time a crashed
	// node goes on owning its users.
	LeaseTTL time.Duration
	// Secret authenticates node-to-node event delivery
	// (CHAT_CLUSTER_SECRET, required with etcd): every node of a ring
	// shares it, and a node accepts events only from holders of it.
	Secret string
	// MigrationGrace is how long, after a ring change, events for a user
	// whose owner changed still go to the old owner too, and after which
	// the old owner closes that user's connections (CHAT_MIGRATION_GRACE,
	// default 30s).
	MigrationGrace time.Duration
}

// Clustered reports whether the node registers in etcd.
func (c Cluster) Clustered() bool { return len(c.EtcdEndpoints) > 0 }

const (
	defaultEtcdPrefix = "/chatd/nodes/"
	defaultLeaseTTL   = 10 * time.Second
	defaultGrace      = 30 * time.Second
)

// loadCluster reads ETCD_ENDPOINTS, CHAT_ETCD_PREFIX, CHAT_PUBLIC_WS_URL,
// CHAT_INTERNAL_URL, CHAT_NODE_WEIGHT, CHAT_RING_VIRTUAL_NODES and
// CHAT_ETCD_LEASE_TTL, CHAT_CLUSTER_SECRET and CHAT_MIGRATION_GRACE;
// httpAddr is the checked CHAT_HTTP_ADDR.
func loadCluster(getenv func(string) string, httpAddr string) (Cluster, error) {
	c := Cluster{
		EtcdEndpoints: splitList(getenv("ETCD_ENDPOINTS")),
		Prefix:        orDefault(getenv("CHAT_ETCD_PREFIX"), defaultEtcdPrefix),
		WSURL:         getenv("CHAT_PUBLIC_WS_URL"),
		PublicWSURL:   getenv("CHAT_PUBLIC_WS_URL"),
		InternalURL:   getenv("CHAT_INTERNAL_URL"),
		Secret:        getenv("CHAT_CLUSTER_SECRET"),
	}
	if !strings.HasSuffix(c.Prefix, "/") {
		c.Prefix += "/"
	}
	var err error
	if c.Weight, err = positiveInt(getenv, "CHAT_NODE_WEIGHT", 1); err != nil {
		return Cluster{}, err
	}
	if c.VirtualNodes, err = positiveInt(getenv, "CHAT_RING_VIRTUAL_NODES", domain.DefaultVirtualNodes); err != nil {
		return Cluster{}, err
	}
	if c.LeaseTTL, err = duration(getenv, "CHAT_ETCD_LEASE_TTL", defaultLeaseTTL); err != nil {
		return Cluster{}, err
	}
	if c.LeaseTTL < time.Second {
		return Cluster{}, fmt.Errorf("CHAT_ETCD_LEASE_TTL must be at least 1s, got %v", c.LeaseTTL)
	}
	if c.MigrationGrace, err = duration(getenv, "CHAT_MIGRATION_GRACE", defaultGrace); err != nil {
		return Cluster{}, err
	}
	if c.Clustered() && len(c.Secret) < minSecretLength {
		return Cluster{}, fmt.Errorf("CHAT_CLUSTER_SECRET of at least %d characters is required with ETCD_ENDPOINTS", minSecretLength)
	}
	for _, u := range []struct{ name, value string }{{"CHAT_PUBLIC_WS_URL", c.WSURL}, {"CHAT_INTERNAL_URL", c.InternalURL}} {
		if u.value == "" {
			continue
		}
		if parsed, err := url.Parse(u.value); err != nil || parsed.Host == "" {
			return Cluster{}, fmt.Errorf("%s %q is not an absolute URL", u.name, u.value)
		}
	}
	host := advertisedHost(httpAddr)
	if c.InternalURL == "" {
		c.InternalURL = "http://" + host
	}
	if c.WSURL == "" && c.Clustered() {
		c.WSURL = "ws://" + host + "/ws"
	}
	return c, nil
}

// advertisedHost turns a listen address into one other machines can dial:
// a wildcard host (":8080", "0.0.0.0:8080") becomes the machine's name.
func advertisedHost(httpAddr string) string {
	host, port, err := net.SplitHostPort(httpAddr)
	if err != nil {
		return httpAddr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host, _ = os.Hostname()
		host = orDefault(host, "localhost")
	}
	return net.JoinHostPort(host, port)
}

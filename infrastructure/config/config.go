// Package config reads the service's settings from the environment, checks
// them, and fills in the embedded-mode defaults that let `make run` work on
// a machine with nothing but the repository.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of one chatd process.
type Config struct {
	HTTPAddr    string
	AdminToken  string
	JWTSecret   string
	DatabaseURL string // empty: embedded local PostgreSQL
	// DBAppPassword and DBSystemPassword are the login passwords of the
	// runtime roles chat_app and chat_system (empty: none is sent).
	DBAppPassword, DBSystemPassword string
	DataDir                         string // where the embedded PostgreSQL lives
	NodeID                          string
	SendRate                        float64
	SendBurst                       int
	AllowedOrigins                  []string
	WebDir                          string // the web client's static export, served at /

	// HeartbeatInterval is announced in ready (CHAT_HEARTBEAT_INTERVAL); a
	// connection silent for 3 of them is closed with 4009.
	HeartbeatInterval time.Duration
	PresenceTimeout   time.Duration
	ShutdownTimeout   time.Duration
	// MaxConnectionsPerUser caps one user's connections on this node
	// (CHAT_MAX_CONNECTIONS_PER_USER); one more is refused with HTTP 429.
	MaxConnectionsPerUser int

	// HTTP bounds how long a silent HTTP peer may hold a connection. It
	// is not read from the environment: the defaults suit deployments,
	// and tests shorten them.
	HTTP HTTPTimeouts

	Kafka    Kafka
	Presence Presence
	Cluster  Cluster
	Shards   Shards

	// Generated lists the secrets this process made up because they were
	// unset in embedded mode, so main can print them once.
	Generated []string
}

// HTTPTimeouts are the HTTP server's bounds on silent peers. Zero fields
// take the defaults (WithDefaults).
type HTTPTimeouts struct {
	// ReadHeader bounds reading a request's headers.
	ReadHeader time.Duration
	// Read bounds reading a whole request, body included: a REST body that
	// stalls fails its read. net/http lifts it from a connection a
	// WebSocket upgrade hijacks.
	Read time.Duration
	// Idle is how long a keep-alive connection may wait for its next
	// request.
	Idle time.Duration
}

// Defaults of HTTPTimeouts: headers are small and come at once; the
// largest body (a node-to-node batch, at most 8 MiB) takes far less than
// 30 s between nodes; an idle keep-alive connection is cheap to reopen.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
)

// WithDefaults fills the zero fields.
func (t HTTPTimeouts) WithDefaults() HTTPTimeouts {
	if t.ReadHeader <= 0 {
		t.ReadHeader = DefaultReadHeaderTimeout
	}
	if t.Read <= 0 {
		t.Read = DefaultReadTimeout
	}
	if t.Idle <= 0 {
		t.Idle = DefaultIdleTimeout
	}
	return t
}

// Embedded reports whether the process runs on its own local database.
func (c Config) Embedded() bool { return c.DatabaseURL == "" }

// defaultMaxConnectionsPerUser leaves room for every device and tab a
// person uses while keeping one stolen token from holding thousands of
// connections (and their memory) on a node.
const defaultMaxConnectionsPerUser = 32

// minSecretLength keeps brute-forceable secrets out of production: HS256
// with a short key is guessable offline from any token.
const minSecretLength = 16

// Load reads the configuration from getenv (os.Getenv in production). It
// returns one error naming the first bad setting.
func Load(getenv func(string) string) (Config, error) {
	c := Config{
		HTTPAddr:          orDefault(getenv("CHAT_HTTP_ADDR"), "127.0.0.1:8080"),
		AdminToken:        getenv("CHAT_ADMIN_TOKEN"),
		JWTSecret:         getenv("CHAT_JWT_SECRET"),
		DatabaseURL:       getenv("DATABASE_URL"),
		DBAppPassword:     getenv("CHAT_DB_APP_PASSWORD"),
		DBSystemPassword:  getenv("CHAT_DB_SYSTEM_PASSWORD"),
		DataDir:           orDefault(getenv("CHAT_DATA_DIR"), ".data"),
		NodeID:            getenv("CHAT_NODE_ID"),
		WebDir:            orDefault(getenv("CHAT_WEB_DIR"), "web/out"),
		HeartbeatInterval: 10 * time.Second,
		PresenceTimeout:   30 * time.Second,
		ShutdownTimeout:   10 * time.Second,
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		return Config{}, fmt.Errorf("CHAT_HTTP_ADDR %q is not host:port: %w", c.HTTPAddr, err)
	}
	var err error
	if c.SendRate, err = positiveFloat(getenv, "CHAT_SEND_RATE", 20); err != nil {
		return Config{}, err
	}
	if c.SendBurst, err = positiveInt(getenv, "CHAT_SEND_BURST", 40); err != nil {
		return Config{}, err
	}
	if c.PresenceTimeout, err = duration(getenv, "CHAT_PRESENCE_TIMEOUT", c.PresenceTimeout); err != nil {
		return Config{}, err
	}
	if c.HeartbeatInterval, err = duration(getenv, "CHAT_HEARTBEAT_INTERVAL", c.HeartbeatInterval); err != nil {
		return Config{}, err
	}
	if c.MaxConnectionsPerUser, err = positiveInt(getenv, "CHAT_MAX_CONNECTIONS_PER_USER", defaultMaxConnectionsPerUser); err != nil {
		return Config{}, err
	}
	if c.ShutdownTimeout, err = duration(getenv, "CHAT_SHUTDOWN_TIMEOUT", c.ShutdownTimeout); err != nil {
		return Config{}, err
	}
	if c.Kafka, err = loadKafka(getenv); err != nil {
		return Config{}, err
	}
	if c.Presence, err = loadPresence(getenv); err != nil {
		return Config{}, err
	}
	if c.Shards, err = loadShards(getenv); err != nil {
		return Config{}, err
	}
	if c.Cluster, err = loadCluster(getenv, c.HTTPAddr); err != nil {
		return Config{}, err
	}
	// A crashed node's users reconnect elsewhere once its lease expires;
	// the sweeper must wait longer than that, or it announces offline the
	// users who are just coming back (a flap).
	if c.Cluster.Clustered() && c.Presence.NodeGrace <= c.Cluster.LeaseTTL {
		return Config{}, fmt.Errorf("CHAT_NODE_GRACE (%v) must exceed CHAT_ETCD_LEASE_TTL (%v), or users of a crashed node flap offline while they reconnect",
			c.Presence.NodeGrace, c.Cluster.LeaseTTL)
	}
	c.AllowedOrigins = splitList(getenv("CHAT_ALLOWED_ORIGINS"))
	if c.NodeID == "" {
		host, _ := os.Hostname()
		c.NodeID = orDefault(host, "node") + "-" + strings.ReplaceAll(c.HTTPAddr, ":", "-")
	}
	if err := c.secrets(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// secrets generates missing secrets in embedded mode and refuses to start
// without them otherwise: a deployment must not run on secrets nobody knows.
func (c *Config) secrets() error {
	for _, s := range []struct {
		name  string
		value *string
	}{{"CHAT_ADMIN_TOKEN", &c.AdminToken}, {"CHAT_JWT_SECRET", &c.JWTSecret}} {
		if *s.value == "" {
			if !c.Embedded() {
				return fmt.Errorf("%s is required when DATABASE_URL is set", s.name)
			}
			*s.value = randomHex(32)
			c.Generated = append(c.Generated, s.name)
			continue
		}
		if len(*s.value) < minSecretLength {
			return fmt.Errorf("%s must be at least %d characters", s.name, minSecretLength)
		}
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // the OS has no entropy; nothing sensible remains
	}
	return hex.EncodeToString(b)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func positiveFloat(getenv func(string) string, name string, def float64) (float64, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("%s must be a positive number, got %q", name, v)
	}
	return f, nil
}

func positiveInt(getenv func(string) string, name string, def int) (int, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s must be a positive integer, got %q", name, v)
	}
	return n, nil
}

func duration(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s must be a positive duration like 30s, got %q", name, v)
	}
	return d, nil
}

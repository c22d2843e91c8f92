package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chatd/chat/infrastructure/config"
)

// buildMu serialises builds of the chatd binary: the first compiles, the
// others only link from the build cache.
var buildMu sync.Mutex

// buildChatd compiles this command into the test's temporary directory,
// for tests that must kill a real process.
func buildChatd(t testing.TB) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	bin := filepath.Join(t.TempDir(), "chatd")
	// -buildvcs=auto stamps the commit (chatd -version) even where
	// GOFLAGS turns stamping off.
	out, err := exec.Command("go", "build", "-buildvcs=auto", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build chatd: %v\n%s", err, out)
	}
	return bin
}

// chatdProcess is chatd running as a child process.
type chatdProcess struct {
	cmd    *exec.Cmd
	exited chan struct{}

	mu   sync.Mutex
	logs []string
}

// processEnv is the environment that configures a chatd process like cfg
// (HTTP on a free port): the parent's environment without any chatd
// setting, plus cfg's.
func processEnv(cfg config.Config) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "CHAT_") || name == "KAFKA_BROKERS" || name == "DATABASE_URL" {
			continue
		}
		env = append(env, kv)
	}
	// A cluster node advertises its address in etcd before it listens,
	// so it needs one chosen up front; others take any free port.
	addr := "127.0.0.1:0"
	if cfg.Cluster.Clustered() {
		addr = cfg.HTTPAddr
		env = append(env,
			"ETCD_ENDPOINTS="+strings.Join(cfg.Cluster.EtcdEndpoints, ","),
			"CHAT_ETCD_PREFIX="+cfg.Cluster.Prefix,
			"CHAT_PUBLIC_WS_URL="+cfg.Cluster.WSURL,
			"CHAT_INTERNAL_URL="+cfg.Cluster.InternalURL,
			"CHAT_ETCD_LEASE_TTL="+cfg.Cluster.LeaseTTL.String(),
			"CHAT_CLUSTER_SECRET="+cfg.Cluster.Secret,
			"CHAT_MIGRATION_GRACE="+cfg.Cluster.MigrationGrace.String(),
		)
	}
	if cfg.Presence.NodeGrace > 0 {
		env = append(env,
			"CHAT_NODE_HEARTBEAT_INTERVAL="+cfg.Presence.NodeHeartbeatInterval.String(),
			"CHAT_NODE_GRACE="+cfg.Presence.NodeGrace.String(),
			"CHAT_PRESENCE_SWEEP_INTERVAL="+cfg.Presence.SweepInterval.String(),
		)
	}
	env = append(env,
		"CHAT_HTTP_ADDR="+addr,
		"DATABASE_URL="+cfg.DatabaseURL,
		"CHAT_ADMIN_TOKEN="+cfg.AdminToken,
		"CHAT_JWT_SECRET="+cfg.JWTSecret,
		"CHAT_NODE_ID="+cfg.NodeID,
		fmt.Sprint("CHAT_SEND_RATE=", cfg.SendRate),
		fmt.Sprint("CHAT_SEND_BURST=", cfg.SendBurst),
		"CHAT_SHUTDOWN_TIMEOUT="+cfg.ShutdownTimeout.String(),
		"CHAT_KAFKA_TOPIC_PREFIX="+cfg.Kafka.TopicPrefix,
		fmt.Sprint("CHAT_KAFKA_PARTITIONS=", cfg.Kafka.Partitions),
	)
	if cfg.HeartbeatInterval > 0 {
		env = append(env, "CHAT_HEARTBEAT_INTERVAL="+cfg.HeartbeatInterval.String())
	}
	if cfg.Shards.URLs != "" {
		env = append(env, "CHAT_SHARD_URLS="+cfg.Shards.URLs)
	}
	if cfg.Shards.ReconcileGrace > 0 {
		env = append(env, "CHAT_SHARD_RECONCILE_GRACE="+cfg.Shards.ReconcileGrace.String())
	}
	if len(cfg.Kafka.Brokers) > 0 {
		env = append(env, "KAFKA_BROKERS="+strings.Join(cfg.Kafka.Brokers, ","))
	}
	if cfg.Kafka.EmbeddedAddr != "" {
		env = append(env, "CHAT_EMBEDDED_KAFKA_ADDR="+cfg.Kafka.EmbeddedAddr)
	}
	return env
}

var listeningLine = regexp.MustCompile(`msg="chatd listening" addr=(\S+)`)

// startProcess runs the chatd binary configured like cfg and returns a
// testServer for its address. The process is killed when the test ends;
// if the test failed, its log is shown.
func startProcess(t testing.TB, bin string, cfg config.Config) (*testServer, *chatdProcess) {
	t.Helper()
	withTestShards(t, &cfg)
	cmd := exec.Command(bin)
	cmd.Env = processEnv(cfg)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chatd: %v", err)
	}
	p := &chatdProcess{cmd: cmd, exited: make(chan struct{})}
	addrs := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.logs = append(p.logs, line)
			p.mu.Unlock()
			if m := listeningLine.FindStringSubmatch(line); m != nil {
				addrs <- m[1]
			}
		}
		_ = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("log of chatd %s:\n%s", cfg.NodeID, p.log())
		}
	})
	select {
	case addr := <-addrs:
		s := &testServer{t: t, cfg: cfg, addr: addr}
		s.stop = p.kill
		return s, p
	case <-p.exited:
		t.Fatalf("chatd %s exited before listening:\n%s", cfg.NodeID, p.log())
	case <-time.After(60 * time.Second):
		t.Fatalf("chatd %s did not listen within 60s:\n%s", cfg.NodeID, p.log())
	}
	return nil, nil
}

// kill ends the process with SIGKILL: no shutdown, no final commit or
// flush of any kind, as in a machine failure.
func (p *chatdProcess) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

func (p *chatdProcess) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.logs, "\n")
}

// logged reports whether a log line contains s.
func (p *chatdProcess) logged(s string) bool {
	return strings.Contains(p.log(), s)
}

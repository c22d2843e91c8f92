package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// envHA enables the failover tests: they need Debian's patroni package
// (scripts/patroni.sh installs it as root) and the etcd of `make test`.
const envHA = "CHAT_TEST_HA"

// haTimeout bounds every wait for the Patroni cluster to reach a state: a
// failure deadline, not a synchronisation sleep.
const haTimeout = 90 * time.Second

// patroniMember is one entry of members.json, as scripts/patroni.sh
// writes it.
type patroniMember struct {
	Name    string `json:"name"`
	RestURL string `json:"restUrl"`
	PgPort  int    `json:"pgPort"`
	DataDir string `json:"dataDir"`
}

// patroniCluster is a real three-member Patroni cluster started by
// scripts/patroni.sh in a directory of the test's own.
type patroniCluster struct {
	t       testing.TB
	dir     string
	url     string // multi-host URL, target_session_attrs=read-write
	members []patroniMember
}

func startPatroni(t testing.TB) *patroniCluster {
	t.Helper()
	if os.Getenv(envHA) == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set under CI: make test sets it", envHA)
		}
		t.Skipf("%s unset: run through make test", envHA)
	}
	etcd := strings.Split(os.Getenv("CHAT_TEST_ETCD_ENDPOINTS"), ",")[0]
	if etcd == "" {
		t.Fatal("CHAT_TEST_ETCD_ENDPOINTS is not set")
	}
	dir := t.TempDir()
	script, err := filepath.Abs("../../scripts/patroni.sh")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			logTails(t, dir)
		}
		if out, err := exec.Command(script, "stop", dir).CombinedOutput(); err != nil {
			t.Errorf("stop the Patroni cluster: %v\n%s", err, out)
		}
	})
	cmd := exec.Command(script, "start", dir, etcd)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("start the Patroni cluster: %v", err)
	}
	c := &patroniCluster{t: t, dir: dir, url: strings.TrimSpace(string(out))}
	data, err := os.ReadFile(filepath.Join(dir, "members.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &c.members); err != nil || len(c.members) != 3 {
		t.Fatalf("members.json: %v %s", err, data)
	}
	return c
}

// get asks a member's REST API; 0 when it does not answer.
func (c *patroniCluster) get(m patroniMember, path string, out any) int {
	client := http.Client{Timeout: time.Second}
	resp, err := client.Get(m.RestURL + path)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// until polls cond until it holds or haTimeout passes.
func (c *patroniCluster) until(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(haTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("Patroni cluster: no %s within %s", what, haTimeout)
		}
		time.Sleep(50 * time.Millisecond) // poll interval of a condition with a deadline
	}
}

type clusterState struct {
	Members []struct {
		Name     string `json:"name"`
		Role     string `json:"role"`
		State    string `json:"state"`
		Timeline int    `json:"timeline"`
	} `json:"members"`
}

// state reads /cluster from the first member that answers.
func (c *patroniCluster) state() (clusterState, bool) {
	for _, m := range c.members {
		var s clusterState
		if c.get(m, "/cluster", &s) == http.StatusOK {
			return s, true
		}
	}
	return clusterState{}, false
}

// waitHealthy waits until every member runs, one leads, every other one
// follows it on its timeline and one of them is a synchronous standby.
func (c *patroniCluster) waitHealthy() {
	c.t.Helper()
	c.until("healthy cluster with a synchronous standby", func() bool {
		s, ok := c.state()
		if !ok || len(s.Members) != len(c.members) {
			return false
		}
		leaders, syncs, tl := 0, 0, -1
		for _, m := range s.Members {
			if m.State != "running" && m.State != "streaming" {
				return false
			}
			switch m.Role {
			case "leader":
				leaders++
			case "sync_standby":
				syncs++
			}
			if tl >= 0 && m.Timeline != tl {
				return false
			}
			tl = m.Timeline
		}
		return leaders == 1 && syncs >= 1
	})
}

func (c *patroniCluster) member(name string) patroniMember {
	for _, m := range c.members {
		if m.Name == name {
			return m
		}
	}
	c.t.Fatalf("no member %q", name)
	return patroniMember{}
}

// withRole returns the member that /cluster reports in role.
func (c *patroniCluster) withRole(role string) patroniMember {
	c.t.Helper()
	var name string
	c.until("member in role "+role, func() bool {
		s, _ := c.state()
		for _, m := range s.Members {
			if m.Role == role && m.State != "stopped" {
				name = m.Name
				return true
			}
		}
		return false
	})
	return c.member(name)
}

// primary waits until a member other than not answers /primary with 200.
func (c *patroniCluster) primaryOtherThan(not string) patroniMember {
	c.t.Helper()
	var found patroniMember
	c.until("new primary", func() bool {
		for _, m := range c.members {
			if m.Name != not && c.get(m, "/primary", nil) == http.StatusOK {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// killPostmaster sends SIGKILL to a member's postmaster (not to Patroni),
// as a crash of PostgreSQL would.
func (c *patroniCluster) killPostmaster(m patroniMember) {
	c.t.Helper()
	data, err := os.ReadFile(filepath.Join(m.DataDir, "postmaster.pid"))
	if err != nil {
		c.t.Fatalf("read %s's postmaster.pid: %v", m.Name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(data), "\n", 2)[0]))
	if err != nil {
		c.t.Fatalf("postmaster.pid of %s: %v", m.Name, err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		c.t.Fatalf("kill -9 %s's postmaster %d: %v", m.Name, pid, err)
	}
}

// memberConn connects straight to one member, as its superuser (which row
// level security does not restrict), to see what that member holds.
func (c *patroniCluster) memberConn(ctx context.Context, m patroniMember) (*pgx.Conn, error) {
	return pgx.Connect(ctx, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=5", m.PgPort))
}

// countOn counts how many of the messages ids a member holds, and whether
// it is a standby.
func (c *patroniCluster) countOn(m patroniMember, ids []string) (n int, standby bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := c.memberConn(ctx, m)
	if err != nil {
		return 0, false, err
	}
	defer conn.Close(context.Background())
	err = conn.QueryRow(ctx, "SELECT (SELECT count(*) FROM messages WHERE id = ANY($1::uuid[])), pg_is_in_recovery()", ids).Scan(&n, &standby)
	return n, standby, err
}

// waitHolds waits until member m holds every message of ids.
func (c *patroniCluster) waitHolds(m patroniMember, ids []string, wantStandby bool) {
	c.t.Helper()
	var last string
	c.until(fmt.Sprintf("%d acknowledged messages on %s", len(ids), m.Name), func() bool {
		n, standby, err := c.countOn(m, ids)
		last = fmt.Sprintf("%d held, standby %v, err %v", n, standby, err)
		return err == nil && n == len(ids) && standby == wantStandby
	})
	c.t.Logf("%s holds all %d acknowledged messages (%s)", m.Name, len(ids), last)
}

// logTails shows the end of every member's Patroni log, which holds
// PostgreSQL's too, for a failed test.
func logTails(t testing.TB, dir string) {
	logs, _ := filepath.Glob(filepath.Join(dir, "*", "patroni.log"))
	for _, name := range logs {
		data, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		t.Logf("--- %s (last lines)\n%s", name, strings.Join(lines[max(0, len(lines)-25):], "\n"))
	}
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// admin talks to the REST side of the service: the admin API that creates
// the benchmark's users and mints their tokens, and /metrics.
type admin struct {
	base  string // http://host:port
	token string
	http  *http.Client
}

func newAdmin(base, token string, concurrency int) *admin {
	return &admin{
		base:  strings.TrimRight(base, "/"),
		token: token,
		http: &http.Client{
			Timeout:   30 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: concurrency, MaxConnsPerHost: concurrency},
		},
	}
}

// wsURL is the WebSocket endpoint on the same host.
func (a *admin) wsURL() string {
	return "ws" + strings.TrimPrefix(a.base, "http") + "/ws"
}

func (a *admin) post(ctx context.Context, path string, body, out any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode %s body: %w", path, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+path, bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return fmt.Errorf("POST %s: read reply: %w", path, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: HTTP %d: %s", path, resp.StatusCode, strings.TrimSpace(string(raw)))
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("POST %s: decode reply %.200s: %w", path, raw, err)
	}
	return nil
}

// newUser creates one user and mints its token.
func (a *admin) newUser(ctx context.Context, name string) (user, error) {
	var created struct {
		ID string `json:"id"`
	}
	if err := a.post(ctx, "/admin/v1/users", map[string]string{"name": name}, &created); err != nil {
		return user{}, err
	}
	var tok struct {
		Token string `json:"token"`
	}
	if err := a.post(ctx, "/admin/v1/users/"+created.ID+"/tokens", map[string]int64{"ttlSeconds": 6 * 3600}, &tok); err != nil {
		return user{}, err
	}
	return user{ID: created.ID, Token: tok.Token}, nil
}

// newUsers creates n users with `concurrency` requests in flight.
func (a *admin) newUsers(ctx context.Context, n, concurrency int, prefix string) ([]user, error) {
	users := make([]user, n)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(concurrency, max(n, 1)) {
		wg.Go(func() {
			for i := range next {
				u, err := a.newUser(ctx, fmt.Sprintf("%s-%d", prefix, i))
				if err != nil {
					cancel(err)
					return
				}
				users[i] = u
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, fmt.Errorf("create %d users: %w", n, err)
	}
	return users, nil
}

// serverMetrics is what chatbench reads from /metrics (Prometheus text).
type serverMetrics map[string]float64

// The process and runtime numbers the reports use.
const (
	metricRSS        = "process_resident_memory_bytes"
	metricCPU        = "process_cpu_seconds_total"
	metricOpenFDs    = "process_open_fds"
	metricGoroutines = "go_goroutines"
	metricHeapInuse  = "go_memstats_heap_inuse_bytes"
	metricStackInuse = "go_memstats_stack_inuse_bytes"
)

// scrape reads /metrics. Only unlabelled samples are kept: the process and
// runtime gauges chatbench needs have no labels.
func (a *admin) scrape(ctx context.Context) (serverMetrics, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+"/metrics", nil)
	if err != nil {
		return nil, fmt.Errorf("GET /metrics: %w", err)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET /metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: HTTP %d", resp.StatusCode)
	}
	return parseMetrics(resp.Body)
}

func parseMetrics(r io.Reader) (serverMetrics, error) {
	m := serverMetrics{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || strings.ContainsRune(line, '{') {
			continue
		}
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) == 0 {
			continue
		}
		if f, err := strconv.ParseFloat(fields[0], 64); err == nil {
			m[name] = f
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read /metrics: %w", err)
	}
	return m, nil
}

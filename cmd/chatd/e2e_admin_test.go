package main

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
)

// admin sends a request and returns the status and raw body.
func (s *testServer) admin(method, path, bearer string) (int, []byte) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.httpURL()+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp.StatusCode, body
}

// adminOK fetches an admin resource that must exist and decodes it.
func (s *testServer) adminOK(path string, out any) {
	s.t.Helper()
	code, body := s.admin("GET", path, testAdminToken)
	if code != http.StatusOK {
		s.t.Fatalf("GET %s: %d %s", path, code, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		s.t.Fatalf("GET %s: %v in %s", path, err, body)
	}
}

// adminError expects a JSON error with the given status and code.
func (s *testServer) adminError(method, path, bearer string, status int, code string) {
	s.t.Helper()
	got, body := s.admin(method, path, bearer)
	var e struct{ Code, Message string }
	if err := json.Unmarshal(body, &e); err != nil || got != status || e.Code != code || e.Message == "" {
		s.t.Errorf("%s %s: %d %s, want %d {code: %s, message}", method, path, got, body, status, code)
	}
}

type adminUser struct {
	ID, Name, CreatedAt string
}

type adminChannel struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	Name        string `json:"name"`
	LastSeq     int64  `json:"lastSeq"`
	MemberCount int    `json:"memberCount"`
	CreatedAt   string `json:"createdAt"`
	Members     []struct {
		UserID, Name, JoinedAt string
	} `json:"members"`
}

// pageAll follows nextCursor from path (which has a query string) and
// collects the ids of every page's items.
func pageAll[T any](s *testServer, path string, items func(page *T) ([]string, string)) []string {
	s.t.Helper()
	var all []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			s.t.Fatalf("%s: no last page", path)
		}
		p := path
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		var page T
		s.adminOK(p, &page)
		ids, next := items(&page)
		all = append(all, ids...)
		if next == "" {
			return all
		}
		cursor = next
	}
}

func TestAdminRequiresToken(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	for _, ep := range []string{
		"GET /admin/v1/users", "POST /admin/v1/users", "GET /admin/v1/users/u1", "POST /admin/v1/users/u1/tokens",
		"GET /admin/v1/users/u1/presence", "GET /admin/v1/channels", "GET /admin/v1/channels/c1",
		"GET /admin/v1/channels/c1/messages", "DELETE /admin/v1/channels/c1/members/u1", "GET /admin/v1/cluster",
		"GET /admin/v1/shards", "POST /admin/v1/shards", "PATCH /admin/v1/shards/s1", "DELETE /admin/v1/shards/s1",
		"GET /admin/v1/nothing-here",
	} {
		method, path, _ := strings.Cut(ep, " ")
		for _, bearer := range []string{"", "wrong-" + testAdminToken, testAdminToken[1:]} {
			s.adminError(method, path, bearer, http.StatusUnauthorized, "unauthorized")
		}
	}
	// A user's JWT is no admin token.
	_, userToken := s.newUser("ann")
	s.adminError("GET", "/admin/v1/users", userToken, http.StatusUnauthorized, "unauthorized")
	// Probes, metrics and the documents stay open.
	for _, path := range []string{"/healthz", "/readyz", "/metrics", "/openapi.json", "/swagger/index.html"} {
		if code, body := s.admin("GET", path, ""); code != http.StatusOK {
			t.Errorf("GET %s: %d %.200s", path, code, body)
		}
	}
	s.adminError("GET", "/admin/v1/nothing-here", testAdminToken, http.StatusNotFound, "not_found")
	// An undeclared method is 405 (with Allow, see interfaces/httpapi), JSON like every error.
	s.adminError("PUT", "/admin/v1/users", testAdminToken, http.StatusMethodNotAllowed, "bad_request")
	s.adminError("TRACE", "/healthz", "", http.StatusMethodNotAllowed, "bad_request")
}

func TestAdminUsersAndPresence(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	var created []string
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		id, _ := s.newUser(name)
		created = append(created, id)
	}
	ids := func(p *struct {
		Users      []adminUser `json:"users"`
		NextCursor string      `json:"nextCursor"`
	}) ([]string, string) {
		var out []string
		for _, u := range p.Users {
			if !isRFC3339Millis(u.CreatedAt) || u.Name == "" {
				t.Fatalf("user %+v", u)
			}
			out = append(out, u.ID)
		}
		return out, p.NextCursor
	}
	// The database is this test's own, so the listing holds exactly these
	// users, in creation order (the ids break ties within a millisecond).
	want := pageAll(s, "/admin/v1/users?limit=100", ids)
	if diff := cmp.Diff(sorted(created...), sorted(want...)); diff != "" {
		t.Fatalf("all users (-created +listed):\n%s", diff)
	}
	for _, limit := range []string{"1", "2", "4", "5"} {
		if diff := cmp.Diff(want, pageAll(s, "/admin/v1/users?limit="+limit, ids)); diff != "" {
			t.Errorf("limit %s: pages differ from one full page (-want +got):\n%s", limit, diff)
		}
	}
	var u adminUser
	s.adminOK("/admin/v1/users/"+created[0], &u)
	if u.ID != created[0] || u.Name != "a" {
		t.Fatalf("get user: %+v", u)
	}

	type presence struct {
		UserID      string `json:"userId"`
		Status      string `json:"status"`
		LastEventAt string `json:"lastEventAt"`
		NodeID      string `json:"nodeId"`
	}
	var p presence
	s.adminOK("/admin/v1/users/"+created[0]+"/presence", &p)
	if diff := cmp.Diff(presence{UserID: created[0], Status: "offline"}, p); diff != "" {
		t.Fatalf("never seen (-want +got):\n%s", diff)
	}
	// Never seen is lastEventAt null, as get_presence answers on the
	// WebSocket, not a missing field.
	var raw map[string]json.RawMessage
	s.adminOK("/admin/v1/users/"+created[0]+"/presence", &raw)
	if string(raw["lastEventAt"]) != "null" {
		t.Fatalf("never seen: lastEventAt = %s, want null", raw["lastEventAt"])
	}
	// The row the presence feature writes on a status change, written here
	// directly so this test does not depend on presence timing.
	at := time.Date(2026, 11, 22, 12, 0, 0, 123_000_000, time.UTC)
	execSQL(t, s, "INSERT INTO user_presences (user_id, status, last_event_at, node_id) VALUES ($1, 'online', $2, 'test-node')", created[1], at)
	s.adminOK("/admin/v1/users/"+created[1]+"/presence", &p)
	if diff := cmp.Diff(presence{UserID: created[1], Status: "online", LastEventAt: "2026-11-22T12:00:00.123Z", NodeID: "test-node"}, p); diff != "" {
		t.Fatalf("online (-want +got):\n%s", diff)
	}

	s.adminError("GET", "/admin/v1/users/ghost", testAdminToken, http.StatusNotFound, "not_found")
	s.adminError("GET", "/admin/v1/users/ghost/presence", testAdminToken, http.StatusNotFound, "not_found")
	for query, code := range map[string]string{
		"limit=0":         "validation_failed",
		"limit=101":       "validation_failed",
		"limit=ten":       "bad_request",
		"limit=1.5":       "bad_request",
		"cursor=%21%21":   "bad_request",
		"sort=name":       "bad_request",
		"limit=1&limit=2": "bad_request",
	} {
		s.adminError("GET", "/admin/v1/users?"+query, testAdminToken, http.StatusBadRequest, code)
	}
	s.adminError("GET", "/admin/v1/users/"+created[0]+"/presence?x=1", testAdminToken, http.StatusBadRequest, "bad_request")
}

// execSQL runs a statement on the test's database as its owner.
func execSQL(t testing.TB, s *testServer, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func TestAdminCluster(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	type node struct {
		ID           string  `json:"id"`
		URL          string  `json:"url"`
		Self         bool    `json:"self"`
		Weight       int     `json:"weight"`
		VirtualNodes int     `json:"virtualNodes"`
		Share        float64 `json:"share"`
	}
	var cluster struct {
		NodeID string `json:"nodeId"`
		Nodes  []node `json:"nodes"`
	}
	s.adminOK("/admin/v1/cluster", &cluster)
	want := []node{{ID: "test-node", URL: s.wsURL(), Self: true, Weight: 1, VirtualNodes: 1, Share: 1}}
	if diff := cmp.Diff(want, cluster.Nodes); diff != "" || cluster.NodeID != "test-node" {
		t.Fatalf("cluster %+v (-want +got):\n%s", cluster, diff)
	}
	// The node's URL is the one the gateway lookup hands out.
	_, token := s.newUser("ann")
	var gw struct{ URL string }
	if code := s.do("GET", "/v1/gateway", token, nil, &gw); code != http.StatusOK || gw.URL != cluster.Nodes[0].URL {
		t.Fatalf("gateway %d %+v, cluster node %+v", code, gw, cluster.Nodes[0])
	}
	s.adminError("GET", "/admin/v1/cluster?ring=1", testAdminToken, http.StatusBadRequest, "bad_request")
}

// TestAdminShardWeight changes the weight of the map's first shard over
// REST (the directory alone, or three test shards with CHAT_TEST_SHARDS):
// the answer carries the new weight and its share of the ring, and the
// listing shows it; a weight out of range, a body without one and an
// unknown shard get the documented errors.
func TestAdminShardWeight(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	type shard struct {
		ID     string  `json:"id"`
		Weight int     `json:"weight"`
		Share  float64 `json:"share"`
		State  string  `json:"state"`
	}
	var listed struct{ Shards []shard }
	s.adminOK("/admin/v1/shards", &listed)
	if len(listed.Shards) == 0 || !slices.IsSortedFunc(listed.Shards, func(a, b shard) int { return strings.Compare(a.ID, b.ID) }) {
		t.Fatalf("the map lists %+v, want its shards in id order", listed.Shards)
	}
	id, others := listed.Shards[0].ID, 0
	for _, sh := range listed.Shards[1:] {
		others += sh.Weight
	}
	var changed shard
	if code := s.do("PATCH", "/admin/v1/shards/"+id, testAdminToken, map[string]any{"weight": 7}, &changed); code != http.StatusOK {
		t.Fatalf("PATCH /admin/v1/shards/%s: HTTP %d", id, code)
	}
	// Ring points are hashed, so a share is its weight's fraction only
	// roughly.
	want := 7 / float64(7+others)
	if changed.ID != id || changed.Weight != 7 || math.Abs(changed.Share-want) > 0.05 || changed.State != "active" {
		t.Fatalf("answer %+v, want %s active with weight 7 and about %.2f of the ring", changed, id, want)
	}
	s.adminOK("/admin/v1/shards", &listed)
	if i := slices.IndexFunc(listed.Shards, func(sh shard) bool { return sh.ID == id }); i < 0 || listed.Shards[i].Weight != 7 {
		t.Fatalf("listed after the change: %+v", listed.Shards)
	}
	var e struct{ Code string }
	for _, c := range []struct {
		path string
		body any
		want int
		code string
	}{
		{"/admin/v1/shards/" + id, map[string]any{"weight": 1001}, http.StatusBadRequest, "validation_failed"},
		{"/admin/v1/shards/" + id, map[string]any{}, http.StatusBadRequest, "validation_failed"},
		{"/admin/v1/shards/" + id, map[string]any{"weight": "2"}, http.StatusBadRequest, "bad_request"},
		{"/admin/v1/shards/nope", map[string]any{"weight": 2}, http.StatusNotFound, "not_found"},
	} {
		if code := s.do("PATCH", c.path, testAdminToken, c.body, &e); code != c.want || e.Code != c.code {
			t.Errorf("PATCH %s %v: HTTP %d %q, want %d %q", c.path, c.body, code, e.Code, c.want, c.code)
		}
	}
}

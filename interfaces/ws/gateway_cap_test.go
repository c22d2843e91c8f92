package ws

import (
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

func TestConnectionsPerUserAreCapped(t *testing.T) {
	store := newMemStore("u1", "u2")
	env := newEnv(t, store, Config{MaxConnectionsPerUser: 2})
	first := env.connect("u1")
	env.connect("u1")

	_, resp, err := env.dialRaw(env.wsURL(), http.Header{"Authorization": {"Bearer token-u1"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third connection = %v, %v; want HTTP 429 before the upgrade", err, resp)
	}
	if body := readBody(t, resp); !strings.Contains(body, `"code":"rate_limited"`) {
		t.Errorf("429 body %q lacks code rate_limited", body)
	}
	env.connect("u2") // the cap is per user

	// A closed connection frees its place once the server has seen it go.
	if err := first.conn.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		env.gw.mu.Lock()
		defer env.gw.mu.Unlock()
		return env.gw.perUser["u1"] == 1
	})
	env.connect("u1")
}

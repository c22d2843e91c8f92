package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestDashboardAndAlertsUseExportedMetrics scrapes a real chatd (real
// PostgreSQL and Kafka) after a connect, a refused connect, commands,
// a heartbeat and a delivered message, and checks that every metric the Grafana
// dashboard and the alert rules query is one it exports: a renamed
// series must not leave a panel blank or an alert that never fires.
func TestDashboardAndAlertsUseExportedMetrics(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	requireKafka(t, s.cfg)
	alice, _ := s.login("alice")
	bob, bobID := s.login("bob")
	var ch channelPayload
	alice.mustRequest("create_channel", map[string]any{"channelType": "direct", "memberIds": []string{bobID}}, "channel_created", &ch)
	alice.mustRequest("send_message", map[string]any{"channelId": ch.ChannelID, "body": "hi", "clientMessageId": "1"}, "message_sent", nil)
	bob.await(isMessage(ch.ChannelID, 1), "the message")
	alice.mustRequest("heartbeat", map[string]any{"status": "online"}, "heartbeat_ack", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, resp, err := dialWS(ctx, s.wsURL(), "not-a-token", nil); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("connect with a bad token: %v %+v", err, resp)
	}

	exprs := append(dashboardExprs(t, dashboardPath), alertExprs(t, alertsPath)...)
	if len(exprs) < 10 {
		t.Fatalf("found %d expressions in the dashboard and rules; the parsing is broken", len(exprs))
	}
	// Some series appear only once their first sample is recorded (the
	// consumer's lag after its first delivered batch): scrape until all
	// are there or the deadline passes.
	var missing []string
	for deadline := time.Now().Add(15 * time.Second); ; {
		resp, err := http.Get(s.httpURL() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		exported, err := exportedNames(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if missing = missingNames(exprs, exported); len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond) // polling /metrics, not synchronising
	}
	t.Fatalf("the dashboard or the alert rules use metrics chatd does not export: %s", strings.Join(missing, ", "))
}

// TestHealthzNamesTheBuild checks that /healthz answers with the same
// version line as chatd -version.
func TestHealthzNamesTheBuild(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	var health struct{ Status, Version string }
	if code := s.do("GET", "/healthz", "", nil, &health); code != http.StatusOK || health.Status != "ok" {
		t.Fatalf("healthz: HTTP %d %+v", code, health)
	}
	if health.Version == "" || health.Version != version() {
		t.Fatalf("healthz version = %q, want %q", health.Version, version())
	}
}

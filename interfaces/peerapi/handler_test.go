package peerapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/chatd/chat/domain"
)

const secret = "0123456789abcdef-cluster"

type recordingHub struct {
	got  []string
	fail bool
}

func (h *recordingHub) Deliver(_ context.Context, events []domain.Event) error {
	if h.fail {
		return context.Canceled
	}
	for _, ev := range events {
		h.got = append(h.got, ev.ChannelID)
	}
	return nil
}

// decodeChannel stands in for the event codec: an event is a JSON string,
// its channel id; "bad" does not decode.
func decodeChannel(data []byte) (domain.Event, error) {
	var id string
	if err := json.Unmarshal(data, &id); err != nil || id == "bad" {
		return domain.Event{}, errors.New("undecodable")
	}
	return domain.Event{ChannelID: id}, nil
}

func post(t *testing.T, h http.Handler, method, auth, body string) int {
	t.Helper()
	req := httptest.NewRequest(method, "/internal/v1/events", strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

func TestHandlerDeliversABatchInOrder(t *testing.T) {
	hub := &recordingHub{}
	h := NewHandler(hub, decodeChannel, secret, nil)
	if code := post(t, h, http.MethodPost, "Bearer "+secret, `["c1","c2","c1"]`); code != http.StatusNoContent {
		t.Fatalf("status %d, want 204", code)
	}
	if want := []string{"c1", "c2", "c1"}; !slices.Equal(hub.got, want) {
		t.Errorf("hub got %v, want %v", hub.got, want)
	}
}

func TestHandlerRefusesCallersWithoutTheSecret(t *testing.T) {
	hub := &recordingHub{}
	h := NewHandler(hub, decodeChannel, secret, nil)
	for _, auth := range []string{
		"",
		"Bearer ",
		"Bearer wrong",
		"Bearer " + secret[:len(secret)-1], // a prefix
		"Bearer " + secret + "x",           // an extension
		"Basic " + secret,
		secret,
	} {
		if code := post(t, h, http.MethodPost, auth, `["c1"]`); code != http.StatusUnauthorized {
			t.Errorf("Authorization %q: status %d, want 401", auth, code)
		}
	}
	if len(hub.got) != 0 {
		t.Errorf("hub got %v from unauthenticated callers", hub.got)
	}
}

func TestHandlerRefusesBadBatchesWhole(t *testing.T) {
	hub := &recordingHub{}
	h := NewHandler(hub, decodeChannel, secret, nil)
	for _, tt := range []struct {
		method, body string
		want         int
	}{
		{http.MethodGet, "", http.StatusMethodNotAllowed},
		{http.MethodPost, `{"events":[]}`, http.StatusBadRequest},
		{http.MethodPost, `["c1",`, http.StatusBadRequest},
		{http.MethodPost, `["c1","bad"]`, http.StatusBadRequest}, // c1 must not be delivered alone
		{http.MethodPost, `["` + strings.Repeat("x", maxBodyBytes) + `"]`, http.StatusRequestEntityTooLarge},
	} {
		if code := post(t, h, tt.method, "Bearer "+secret, tt.body); code != tt.want {
			t.Errorf("%s %.40q: status %d, want %d", tt.method, tt.body, code, tt.want)
		}
	}
	if len(hub.got) != 0 {
		t.Errorf("hub got %v from refused batches", hub.got)
	}
}

func TestHandlerAnswersUnavailableWhenTheHubStops(t *testing.T) {
	h := NewHandler(&recordingHub{fail: true}, decodeChannel, secret, nil)
	if code := post(t, h, http.MethodPost, "Bearer "+secret, `["c1"]`); code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503 so the sender retries", code)
	}
}

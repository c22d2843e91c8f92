package peers

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/chatd/chat/domain"
)

type directory map[string]string

func (d directory) InternalURL(node string) (string, bool) {
	url, ok := d[node]
	return url, ok
}

func encodeChannel(ev domain.Event) ([]byte, error) { return []byte(`"` + ev.ChannelID + `"`), nil }

func TestSendPostsTheBatchWithTheSecret(t *testing.T) {
	var gotAuth, gotPath, gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotPath = r.Header.Get("Authorization"), r.URL.Path
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	c, err := New(directory{"n2": srv.URL}, encodeChannel, "s3cret-s3cret-s3cret", prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	events := []domain.Event{{ChannelID: "c1"}, {ChannelID: "c2"}}
	if err := c.Send(context.Background(), "n2", events); err != nil {
		t.Fatal(err)
	}
	if gotAuth != "Bearer s3cret-s3cret-s3cret" || gotPath != path || gotBody != `["c1","c2"]` {
		t.Errorf("posted %q to %s with %q", gotBody, gotPath, gotAuth)
	}
}

func TestSendFailsUnlessTheNodeTookTheBatch(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "stopping", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	c, err := New(directory{"busy": srv.URL, "gone": closed.URL}, encodeChannel, "s3cret-s3cret-s3cret", prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for node, want := range map[string]string{"busy": "503", "gone": "send 1 events", "unknown": "unknown"} {
		err := c.Send(context.Background(), node, []domain.Event{{ChannelID: "c1"}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Send to %s = %v, want an error about %q", node, err, want)
		}
		if got := counted(t, c.failed.WithLabelValues(node)); got != 1 {
			t.Errorf("failures counted for %s: %v, want 1", node, got)
		}
	}
}

func counted(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

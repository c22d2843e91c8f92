package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chatd/chat/infrastructure/config"
)

func TestLoggerFormats(t *testing.T) {
	var buf bytes.Buffer
	newLogger(&buf, config.LogJSON).Info("session closed", "session", "s-1", "code", 4008)
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("json log line %q: %v", buf.String(), err)
	}
	if line["msg"] != "session closed" || line["session"] != "s-1" || line["code"] != float64(4008) || line["level"] != "INFO" {
		t.Fatalf("json log line = %v", line)
	}

	buf.Reset()
	newLogger(&buf, config.LogText).Debug("hidden")
	newLogger(&buf, config.LogText).Info("session closed", "session", "s-1")
	if got := buf.String(); !strings.Contains(got, `msg="session closed" session=s-1`) || strings.Contains(got, "hidden") {
		t.Fatalf("text log = %q", got)
	}
}

package config

import "testing"

func TestLogFormat(t *testing.T) {
	for value, want := range map[string]string{"": LogText, "text": LogText, "json": LogJSON} {
		got, err := LogFormat(func(string) string { return value })
		if err != nil || got != want {
			t.Errorf("CHAT_LOG_FORMAT=%q: %q, %v; want %q", value, got, err, want)
		}
	}
	for _, value := range []string{"JSON", "logfmt", " json"} {
		if _, err := LogFormat(func(string) string { return value }); err == nil {
			t.Errorf("CHAT_LOG_FORMAT=%q accepted", value)
		}
	}
}

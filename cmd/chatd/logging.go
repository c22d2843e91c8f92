package main

import (
	"io"
	"log/slog"

	"github.com/chatd/chat/infrastructure/config"
)

// newLogger writes Info and above to w as text, or as one JSON object a
// line when format is config.LogJSON (CHAT_LOG_FORMAT=json). Both carry
// the same attributes; the JSON form keeps nested groups (a session's
// id and user) as objects a log shipper can index.
func newLogger(w io.Writer, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if format == config.LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

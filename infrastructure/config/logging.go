package config

import "fmt"

// The log formats of CHAT_LOG_FORMAT.
const (
	LogText = "text" // key=value lines, for people (the default)
	LogJSON = "json" // one JSON object a line, for log shippers
)

// LogFormat reads CHAT_LOG_FORMAT. It is read apart from Load because
// the logger exists before the rest of the configuration (and for
// `chatd migrate`, which reads nothing else).
func LogFormat(getenv func(string) string) (string, error) {
	switch v := getenv("CHAT_LOG_FORMAT"); v {
	case "", LogText:
		return LogText, nil
	case LogJSON:
		return LogJSON, nil
	default:
		return "", fmt.Errorf("CHAT_LOG_FORMAT %q: want %s or %s", v, LogText, LogJSON)
	}
}

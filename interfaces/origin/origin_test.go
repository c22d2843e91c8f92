package origin

import "testing"

func TestAllowed(t *testing.T) {
	p := NewPolicy([]string{"localhost:3000", "*.example.com", " ", "[bad"}, "")
	tests := []struct {
		origin, host string
		want         bool
	}{
		{"", "chat.local:8080", true},
		{"http://chat.local:8080", "chat.local:8080", true},
		{"https://CHAT.local:8080", "chat.local:8080", true},
		{"http://localhost:3000", "chat.local:8080", true},
		{"http://localhost:3001", "chat.local:8080", false},
		{"https://app.example.com", "chat.local:8080", true},
		{"https://example.com", "chat.local:8080", false},
		{"https://evil.com", "chat.local:8080", false},
		{"https://app.example.com.evil.com", "chat.local:8080", false},
		{"null", "chat.local:8080", false},
		{"://broken", "chat.local:8080", false},
	}
	for _, tt := range tests {
		if got := p.Allowed(tt.origin, tt.host); got != tt.want {
			t.Errorf("Allowed(%q, %q) = %v, want %v", tt.origin, tt.host, got, tt.want)
		}
	}
}

func TestAllowedComparesWithThePublicAddressWhenSet(t *testing.T) {
	p := NewPolicy([]string{"localhost:3000"}, "wss://Chat.Example.org:443/ws")
	tests := []struct {
		origin, host string
		want         bool
	}{
		{"https://chat.example.org", "10.0.0.7:8080", true}, // behind a proxy: Host is internal
		{"https://chat.example.org:443", "anything", true},  // the default port, written out
		{"https://evil.com", "evil.com", false},             // a forged Host no longer lets it in
		{"http://10.0.0.7:8080", "10.0.0.7:8080", false},    // the Host header is not the service's origin
		{"https://chat.example.org:8443", "chat.example.org", false},
		{"http://localhost:3000", "10.0.0.7:8080", true}, // patterns still apply
		{"", "evil.com", true},                           // not a browser
	}
	for _, tt := range tests {
		if got := p.Allowed(tt.origin, tt.host); got != tt.want {
			t.Errorf("Allowed(%q, %q) = %v, want %v", tt.origin, tt.host, got, tt.want)
		}
	}
	ws := NewPolicy(nil, "ws://127.0.0.1:8081/ws")
	if !ws.Allowed("http://127.0.0.1:8081", "localhost:8081") || ws.Allowed("http://localhost:8081", "localhost:8081") {
		t.Error("a ws:// public address with a port must match exactly its host and port")
	}
}

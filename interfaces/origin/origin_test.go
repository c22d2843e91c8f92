package origin

import "testing"

func TestAllowed(t *testing.T) {
	p := NewPolicy([]string{"localhost:3000", "*.example.com", " ", "[bad"})
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

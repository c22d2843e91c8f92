package domain

import (
	"strings"
	"testing"
)

func TestValidateBody(t *testing.T) {
	tests := []struct {
		name string
		body string
		ok   bool
	}{
		{"one char", "a", true},
		{"1000 ascii", strings.Repeat("a", 1000), true},
		{"1001 ascii", strings.Repeat("a", 1001), false},
		{"1000 code points of 3 bytes", strings.Repeat("あ", 1000), true},
		{"1001 code points of 3 bytes", strings.Repeat("あ", 1001), false},
		{"1000 emoji of 4 bytes", strings.Repeat("😀", 1000), true},
		{"empty", "", false},
		{"only spaces", "   ", false},
		{"only newlines and tabs", "\n\t\r", false},
		{"ideographic space only", "\u3000", false},
		{"text with spaces", "  hi  ", true},
		{"invalid utf8", "\xff\xfe", false},
		{"nul inside", "a\x00b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateBody(tt.body)
			if (err == nil) != tt.ok {
				t.Fatalf("ValidateBody ok=%v, want %v (err %v)", err == nil, tt.ok, err)
			}
			if err != nil && KindOf(err) != KindValidation {
				t.Fatalf("kind = %v", KindOf(err))
			}
		})
	}
}

func TestValidateClientMessageID(t *testing.T) {
	for _, tt := range []struct {
		id string
		ok bool
	}{{"x", true}, {strings.Repeat("x", 64), true}, {strings.Repeat("x", 65), false}, {"", false}, {strings.Repeat("é", 64), true}} {
		if err := ValidateClientMessageID(tt.id); (err == nil) != tt.ok {
			t.Errorf("len %d: ok=%v want %v", len(tt.id), err == nil, tt.ok)
		}
	}
}

func TestNewPage(t *testing.T) {
	tests := []struct {
		name                string
		after, before       int64
		hasAfter, hasBefore bool
		limit               int
		want                Page
		wantErr             bool
	}{
		{"defaults", 0, 0, false, false, 0, Page{Limit: 50}, false},
		{"after", 40, 0, true, false, 10, Page{AfterSeq: 40, Limit: 10}, false},
		{"before", 0, 41, false, true, 100, Page{BeforeSeq: 41, Limit: 100}, false},
		{"both", 1, 2, true, true, 10, Page{}, true},
		{"limit 101", 0, 0, false, false, 101, Page{}, true},
		{"limit negative", 0, 0, false, false, -1, Page{}, true},
		{"after negative", -1, 0, true, false, 0, Page{}, true},
		{"before zero", 0, 0, false, true, 0, Page{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewPage(tt.after, tt.before, tt.hasAfter, tt.hasBefore, tt.limit)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Fatalf("page = %+v, want %+v", got, tt.want)
			}
		})
	}
}

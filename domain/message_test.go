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
		{"zero-width spaces", "\u200b\u200b", false},
		{"byte-order mark", "\ufeff", false},
		{"Hangul filler", "\u3164", false},
		{"Braille blank", "\u2800 \u2800", false},
		{"halfwidth Hangul filler and joiner", "\uffa0\u200d", false},
		{"choseong and jungseong fillers", "\u115f\u1160", false},
		{"a letter among invisibles", "\u200bx\ufeff", true},
		{"emoji with a joiner", "👩\u200d💻", true},
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

func ptr[T any](v T) *T { return &v }

func TestNewPage(t *testing.T) {
	tests := []struct {
		name          string
		after, before *int64
		limit         *int
		want          Page
		wantErr       bool
	}{
		{"defaults", nil, nil, nil, Page{Limit: 50}, false},
		{"after", ptr[int64](40), nil, ptr(10), Page{AfterSeq: 40, Limit: 10}, false},
		{"after zero", ptr[int64](0), nil, nil, Page{Limit: 50}, false},
		{"before", nil, ptr[int64](41), ptr(100), Page{BeforeSeq: 41, Limit: 100}, false},
		{"both", ptr[int64](1), ptr[int64](2), ptr(10), Page{}, true},
		{"limit 101", nil, nil, ptr(101), Page{}, true},
		{"limit 0", nil, nil, ptr(0), Page{}, true},
		{"limit negative", nil, nil, ptr(-1), Page{}, true},
		{"after negative", ptr[int64](-1), nil, nil, Page{}, true},
		{"before zero", nil, ptr[int64](0), nil, Page{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewPage(tt.after, tt.before, tt.limit)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Fatalf("page = %+v, want %+v", got, tt.want)
			}
		})
	}
}

package domain

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("u%d", i)
	}
	return out
}

func TestNewChannelSpecMembers(t *testing.T) {
	tests := []struct {
		name    string
		spec    NewChannelSpec
		want    []string
		wantErr string
	}{
		{"direct with creator named", NewChannelSpec{Type: ChannelDirect, CreatorID: "a", MemberIDs: []string{"a", "b"}}, []string{"a", "b"}, ""},
		{"direct with creator omitted", NewChannelSpec{Type: ChannelDirect, CreatorID: "a", MemberIDs: []string{"b"}}, []string{"a", "b"}, ""},
		{"direct repeated ids count once", NewChannelSpec{Type: ChannelDirect, CreatorID: "a", MemberIDs: []string{"b", "b", "a"}}, []string{"a", "b"}, ""},
		{"direct with self only", NewChannelSpec{Type: ChannelDirect, CreatorID: "a", MemberIDs: []string{"a"}}, nil, "exactly 2"},
		{"direct with three", NewChannelSpec{Type: ChannelDirect, CreatorID: "a", MemberIDs: []string{"b", "c"}}, nil, "exactly 2"},
		{"direct with a name", NewChannelSpec{Type: ChannelDirect, Name: "x", CreatorID: "a", MemberIDs: []string{"b"}}, nil, "no name"},
		{"group of one", NewChannelSpec{Type: ChannelGroup, CreatorID: "a"}, []string{"a"}, ""},
		{"group of 50", NewChannelSpec{Type: ChannelGroup, CreatorID: "u0", MemberIDs: ids(50)}, ids(50), ""},
		{"group of 51", NewChannelSpec{Type: ChannelGroup, CreatorID: "x", MemberIDs: ids(50)}, nil, "at most 50"},
		{"group name of 100", NewChannelSpec{Type: ChannelGroup, Name: strings.Repeat("名", 100), CreatorID: "a"}, []string{"a"}, ""},
		{"group name of 101", NewChannelSpec{Type: ChannelGroup, Name: strings.Repeat("名", 101), CreatorID: "a"}, nil, "at most 100"},
		{"group blank name", NewChannelSpec{Type: ChannelGroup, Name: "  ", CreatorID: "a"}, nil, "blank"},
		{"empty member id", NewChannelSpec{Type: ChannelGroup, CreatorID: "a", MemberIDs: []string{""}}, nil, "empty"},
		{"unknown type", NewChannelSpec{Type: "broadcast", CreatorID: "a"}, nil, "channelType"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.spec.Members()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || KindOf(err) != KindValidation {
					t.Fatalf("err = %v, want validation error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("members (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDirectKeyIsOrderFree(t *testing.T) {
	if DirectKey("a", "b") != DirectKey("b", "a") {
		t.Fatal("DirectKey must not depend on order")
	}
	if DirectKey("ab", "c") == DirectKey("a", "bc") {
		t.Fatal("DirectKey must separate ids unambiguously")
	}
}

func TestParseChannelType(t *testing.T) {
	for _, s := range []string{"direct", "group"} {
		if _, err := ParseChannelType(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	for _, s := range []string{"", "Group", "dm"} {
		if _, err := ParseChannelType(s); KindOf(err) != KindValidation {
			t.Errorf("%q accepted", s)
		}
	}
}

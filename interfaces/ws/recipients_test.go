package ws

import "testing"

func TestRecipientTestFindsExactlyTheRecipients(t *testing.T) {
	cases := map[string][]string{
		"sorted":   {"alice", "bob", "carol"},
		"unsorted": {"carol", "alice", "bob"},
	}
	for name, recipients := range cases {
		is := recipientTest(recipients)
		for _, u := range []string{"alice", "bob", "carol"} {
			if !is(u) {
				t.Errorf("%s: %s not found", name, u)
			}
		}
		for _, u := range []string{"", "al", "alicea", "dave", "aaron"} {
			if is(u) {
				t.Errorf("%s: %q found, who is no recipient", name, u)
			}
		}
	}
	if !recipientTest(nil)("anyone") {
		t.Error("nil recipients must let everyone subscribed through")
	}
	if recipientTest([]string{})("anyone") {
		t.Error("an empty list of recipients let someone through")
	}
}

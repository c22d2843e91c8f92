package protocol

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzScanObjectMatchesTokens checks the fast object scanner against the
// token parser it stands in for: on every valid JSON object where the
// scanner answers, both give the same members and the same error.
func FuzzScanObjectMatchesTokens(f *testing.F) {
	seeds := []string{
		`{}`, ` { } `,
		`{"type":"heartbeat","requestId":"r-1","payload":{"userId":"u1","status":"online"}}`,
		`{"a":1,"b":[1,{"c":"]}"}],"d":{"e":null},"f":true,"g":-1.5e3}`,
		`{"\u0074ype":"x","t\"y":"\\\"","é":"\ud83d\ude00"}`,
		`{"a":"\xff\xfe","\xff":1}`,
		`{"a":1,"a":2}`, `{"a":1,"\u0061":2}`,
		"{\n\t\"a\" :\r\n [ ] , \"b\" : { } }",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		fast, ok, fastErr := scanObject(data)
		if !ok {
			return
		}
		slow, slowErr := parseObjectTokens(data)
		if (fastErr == nil) != (slowErr == nil) || (fastErr != nil && fastErr.Error() != slowErr.Error()) {
			t.Fatalf("errors differ for %q: fast %v, tokens %v", data, fastErr, slowErr)
		}
		if fastErr != nil {
			return
		}
		if len(fast) != len(slow) {
			t.Fatalf("%q: fast %d members, tokens %d", data, len(fast), len(slow))
		}
		for i := range fast {
			if fast[i].name != slow[i].name || string(fast[i].value) != string(slow[i].value) {
				t.Fatalf("%q member %d: fast %q=%s, tokens %q=%s", data, i, fast[i].name, fast[i].value, slow[i].name, slow[i].value)
			}
		}
	})
}

// The strings the decoder reads come out as encoding/json would read them.
func TestDecodeStringMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{`"plain"`, `""`, `"esc\"aped\\"`, `"\u00e9\n"`, "\"\xff\xfe bad utf-8\"", `"こんにちは"`, `"\ud800"`} {
		var got, want string
		if !decodeString(json.RawMessage(raw), &got) {
			t.Fatalf("decodeString(%s) refused", raw)
		}
		if err := json.Unmarshal([]byte(raw), &want); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("decodeString(%s) (-encoding/json +got):\n%s", raw, diff)
		}
	}
}

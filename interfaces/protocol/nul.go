package protocol

import (
	"bytes"

	"github.com/chatd/chat/domain"
)

// errNUL is the answer to a frame with U+0000 in any string (protocol
// v1.1): PostgreSQL cannot store the character, and no id, name or body
// needs it, so it is refused up front as invalid input rather than failing
// later as an internal error.
var errNUL = &domain.Error{Kind: domain.KindValidation, Message: "strings must not contain U+0000"}

// hasEscapedNUL reports whether a JSON text holds U+0000 in a string. Valid
// JSON can only spell it as the escape \u0000 (a raw 0x00 byte is invalid
// JSON), and the escape counts only where its backslash is not itself
// escaped: `"\\u0000"` is six harmless characters.
func hasEscapedNUL(data []byte) bool {
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte(`u0000`))
		if j < 0 {
			return false
		}
		at := i + j
		slashes := 0
		for k := at - 1; k >= 0 && data[k] == '\\'; k-- {
			slashes++
		}
		if slashes%2 == 1 {
			return true
		}
		i = at + 1
	}
}

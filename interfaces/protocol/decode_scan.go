package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// scanObject is parseObject's fast path: one pass over the bytes of an
// object that is already known to be valid JSON (Decode checks the whole
// frame with json.Valid, and payloads are values inside it), without the
// token stream and its allocations per token. It gives the same members,
// names unescaped the same way, and the same duplicate error. ok is false
// when it meets anything it does not expect; parseObject then takes the
// token path, which decides.
func scanObject(data []byte) (obj object, ok bool, err error) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return nil, false, nil
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return nil, true, nil
	}
	obj = make(object, 0, 4)
	for {
		if i >= len(data) || data[i] != '"' {
			return nil, false, nil
		}
		end := scanString(data, i)
		if end < 0 {
			return nil, false, nil
		}
		name, ok := unquote(data[i:end])
		if !ok {
			return nil, false, nil
		}
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return nil, false, nil
		}
		i = skipSpace(data, i+1)
		vend := scanValue(data, i)
		if vend < 0 {
			return nil, false, nil
		}
		if _, dup := obj.lookup(name); dup {
			return nil, true, fmt.Errorf("duplicate field %s", quoteShort(name))
		}
		obj = append(obj, member{name: name, value: json.RawMessage(data[i:vend])})
		i = skipSpace(data, vend)
		switch {
		case i < len(data) && data[i] == ',':
			i = skipSpace(data, i+1)
		case i < len(data) && data[i] == '}':
			return obj, true, nil
		default:
			return nil, false, nil
		}
	}
}

// unquote returns the text of the JSON string literal s as encoding/json
// would: literally when it has no escapes and is valid UTF-8, through
// json.Unmarshal otherwise (escapes, and invalid bytes become U+FFFD).
func unquote(s []byte) (string, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", false
	}
	inner := s[1 : len(s)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), true
	}
	var out string
	if json.Unmarshal(s, &out) != nil {
		return "", false
	}
	return out, true
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// scanString returns the index just past the string literal starting at
// data[i] (a quote), or -1 if it does not end.
func scanString(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++ // the escaped byte; \uXXXX's digits need no care
		case '"':
			return j + 1
		}
	}
	return -1
}

// scanValue returns the index just past the JSON value starting at data[i],
// or -1 if it does not end.
func scanValue(data []byte, i int) int {
	if i >= len(data) {
		return -1
	}
	switch data[i] {
	case '"':
		return scanString(data, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				end := scanString(data, j)
				if end < 0 {
					return -1
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	default: // a number, true, false or null
		j := i
		for j < len(data) {
			switch data[j] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				return j
			}
			j++
		}
		return j
	}
}

package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// field describes one payload field: its exact JSON name, whether the
// command needs it, and how to store its raw value. decode returns the
// expected JSON type ("a string") when the value has another type.
type field struct {
	name     string
	required bool
	decode   func(raw json.RawMessage) (ok bool)
	want     string
}

// decodeFields fills a payload from a raw JSON object, refusing unknown
// names, missing required fields and mistyped values. The returned error
// text is meant for the client.
func decodeFields(raw json.RawMessage, fields ...field) error {
	obj, err := parseObject(raw)
	if errors.Is(err, errNotObject) {
		return fmt.Errorf("payload must be a JSON object")
	}
	if err != nil {
		return fmt.Errorf("payload has %w", err)
	}
	for _, m := range obj {
		if !hasField(fields, m.name) {
			return fmt.Errorf("payload has unknown field %s", quoteShort(m.name))
		}
	}
	for _, f := range fields {
		value, present := obj.get(f.name)
		if !present {
			if f.required {
				return fmt.Errorf("payload.%s is required", f.name)
			}
			continue
		}
		if !f.decode(value) {
			return fmt.Errorf("payload.%s must be %s", f.name, f.want)
		}
	}
	return nil
}

func hasField(fields []field, name string) bool {
	for _, f := range fields {
		if f.name == name {
			return true
		}
	}
	return false
}

func stringField(name string, required bool, dst *string) field {
	return field{name: name, required: required, want: "a string", decode: func(raw json.RawMessage) bool {
		return decodeString(raw, dst)
	}}
}

func stringsField(name string, required bool, dst *[]string) field {
	return field{name: name, required: required, want: "an array of strings", decode: func(raw json.RawMessage) bool {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 || raw[0] != '[' {
			return false
		}
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return false
		}
		out := make([]string, len(items))
		for i, item := range items {
			if !decodeString(item, &out[i]) {
				return false
			}
		}
		*dst = out
		return true
	}}
}

func int64Field(name string, required bool, dst **int64) field {
	return field{name: name, required: required, want: "an integer", decode: func(raw json.RawMessage) bool {
		var n int64
		if !isInteger(raw) || json.Unmarshal(raw, &n) != nil {
			return false
		}
		*dst = &n
		return true
	}}
}

func intField(name string, required bool, dst **int) field {
	return field{name: name, required: required, want: "an integer", decode: func(raw json.RawMessage) bool {
		var n int
		if !isInteger(raw) || json.Unmarshal(raw, &n) != nil {
			return false
		}
		*dst = &n
		return true
	}}
}

// decodeString accepts only a JSON string: encoding/json would turn null
// into "" and leave the zero value, hiding a mistyped field.
func decodeString(raw json.RawMessage, dst *string) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' {
		return false
	}
	s, ok := unquote(raw)
	if ok {
		*dst = s
	}
	return ok
}

// isInteger reports whether raw is a JSON number without fraction or
// exponent. 1.5 and 1e3 are refused rather than truncated or widened.
func isInteger(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return false
	}
	return !bytes.ContainsAny(raw, ".eE")
}

// quoteShort quotes client text for an error message, cut to a length that
// cannot turn an error reply into an amplifier.
func quoteShort(s string) string {
	const maxRunes = MaxRequestIDLength
	runes := []rune(s)
	if len(runes) > maxRunes {
		return fmt.Sprintf("%q...", string(runes[:maxRunes]))
	}
	return fmt.Sprintf("%q", s)
}

package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// member is one name/value pair of a JSON object, kept in document order so
// that error messages do not depend on map iteration.
type member struct {
	name  string
	value json.RawMessage
}

// errNotObject is returned by parseObject for any JSON value but an object.
var errNotObject = errors.New("not a JSON object")

// object is a parsed JSON object whose values are still raw.
type object []member

// get returns the raw value of name and whether it is present and not null.
func (o object) get(name string) (json.RawMessage, bool) {
	value, ok := o.lookup(name)
	return value, ok && !isNull(value)
}

// parseObject splits one JSON object into its members, refusing anything
// that is not an object and any name that appears twice: encoding/json
// would keep the last duplicate silently, and two readers of the same frame
// must not disagree about what it says.
//
// data must be valid JSON, which Decode checks once for the whole frame:
// the fast path (scanObject) relies on it and the token path below only
// takes over where the fast path gives up.
func parseObject(data []byte) (object, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return nil, errNotObject
	}
	if obj, ok, err := scanObject(data); ok {
		return obj, err
	}
	return parseObjectTokens(data)
}

// parseObjectTokens is parseObject on encoding/json's token stream.
func parseObjectTokens(data []byte) (object, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil { // the opening brace
		return nil, fmt.Errorf("read object: %w", err)
	}
	var obj object
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("read field name: %w", err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("field name is not a string")
		}
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, fmt.Errorf("read field %q: %w", name, err)
		}
		if _, dup := obj.lookup(name); dup {
			return nil, fmt.Errorf("duplicate field %s", quoteShort(name))
		}
		obj = append(obj, member{name: name, value: value})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, fmt.Errorf("read object end: %w", err)
	}
	return obj, nil
}

func (o object) lookup(name string) (json.RawMessage, bool) {
	for _, m := range o {
		if m.name == name {
			return m.value, true
		}
	}
	return nil, false
}

// unknown returns the first member whose name is not in known.
func (o object) unknown(known map[string]bool) (string, bool) {
	for _, m := range o {
		if !known[m.name] {
			return m.name, true
		}
	}
	return "", false
}

func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

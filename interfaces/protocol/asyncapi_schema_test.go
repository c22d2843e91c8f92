package protocol_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/chatd/chat/interfaces/protocol"
)

var timeType = reflect.TypeOf(protocol.Time{})

// TestAsyncAPIPayloadSchemas checks each frame's schema against the Go
// type that encodes it: the same field names, JSON types and nesting; for
// server frames, required exactly where encoding/json always writes the
// field (no omitempty); for commands, required exactly where the decoder
// demands the field.
func TestAsyncAPIPayloadSchemas(t *testing.T) {
	doc := loadAsyncAPI(t)
	replies := doc.replyTypes()
	for typ, msg := range doc.messagesByType() {
		t.Run(typ, func(t *testing.T) {
			goType, ok := framePayloads[typ]
			if !ok {
				t.Skip("no Go type; TestAsyncAPIFrameTypes reports it")
			}
			doc := asyncDoc{t: t, root: doc.root}
			env := doc.get(msg, "payload")
			props := doc.get(env, "properties")
			_, hasRequestID := props["requestId"]
			if want := isCommand(typ) || replies[typ]; hasRequestID != want {
				t.Errorf("envelope has requestId=%v, want %v (commands and replies carry one, pushed events none)", hasRequestID, want)
			}
			if diff := cmp.Diff([]string{"payload", "type"}, strs(env["required"])); diff != "" {
				t.Errorf("envelope required (-want +got):\n%s", diff)
			}
			schema := doc.get(props, "payload")
			doc.compare(typ, reflect.TypeOf(goType), schema, !isCommand(typ))
			if isCommand(typ) {
				checkDecoderRequires(t, doc, typ, schema)
			}
		})
	}
}

// replyTypes returns the frame types that are direct replies to commands.
func (d asyncDoc) replyTypes() map[string]bool {
	out := map[string]bool{}
	for _, op := range d.get(d.root, "operations") {
		if reply, ok := d.resolve(op)["reply"].(map[string]any); ok {
			for _, m := range reply["messages"].([]any) {
				out[d.typeOf(m)] = true
			}
		}
	}
	return out
}

// compare matches a Go type with a JSON schema, recursively.
func (d asyncDoc) compare(path string, goType reflect.Type, schema map[string]any, requiredByEncoding bool) {
	d.t.Helper()
	for goType.Kind() == reflect.Pointer {
		goType = goType.Elem()
	}
	if inner, ok := d.nonNull(schema); ok {
		schema = inner
	}
	want := map[reflect.Kind]string{
		reflect.String: "string", reflect.Int: "integer", reflect.Int64: "integer",
		reflect.Bool: "boolean", reflect.Slice: "array", reflect.Struct: "object",
	}[goType.Kind()]
	if goType == timeType {
		want = "string"
		if schema["format"] != "date-time" {
			d.t.Errorf("%s: a time must have format date-time", path)
		}
	}
	if schema["type"] != want {
		d.t.Errorf("%s: schema type %v, Go type %s encodes as %q", path, schema["type"], goType, want)
		return
	}
	switch {
	case goType.Kind() == reflect.Slice:
		d.compare(path+"[]", goType.Elem(), d.get(schema, "items"), requiredByEncoding)
	case goType.Kind() == reflect.Struct && goType != timeType:
		d.compareObject(path, goType, schema, requiredByEncoding)
	}
}

func (d asyncDoc) compareObject(path string, goType reflect.Type, schema map[string]any, requiredByEncoding bool) {
	d.t.Helper()
	props := d.get(schema, "properties")
	var names, required []string
	for i := range goType.NumField() {
		f := goType.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			d.t.Fatalf("%s.%s has no JSON name; teach this test about it", goType, f.Name)
		}
		names = append(names, name)
		if !strings.Contains(opts, "omitempty") {
			required = append(required, name)
		}
		if p, ok := props[name]; ok {
			_, nullable := d.nonNull(d.resolve(p))
			// A nil pointer without omitempty encodes as null.
			if encodesNull := f.Type.Kind() == reflect.Pointer && !strings.Contains(opts, "omitempty"); requiredByEncoding && nullable != encodesNull {
				d.t.Errorf("%s.%s: schema nullable=%v, but %s encodes null=%v", path, name, nullable, goType, encodesNull)
			}
			d.compare(path+"."+name, f.Type, d.resolve(p), requiredByEncoding)
		}
	}
	slices.Sort(names)
	slices.Sort(required)
	if diff := cmp.Diff(names, keys(props)); diff != "" {
		d.t.Errorf("%s: fields of %s (-) and schema properties (+):\n%s", path, goType, diff)
	}
	if requiredByEncoding {
		var got []string
		if r, ok := schema["required"]; ok {
			got = strs(r)
		}
		if diff := cmp.Diff(required, got); diff != "" {
			d.t.Errorf("%s: fields %s always encodes (-) and schema required (+):\n%s", path, goType, diff)
		}
	}
}

// nonNull unwraps a schema of the form oneOf [X, {type: null}] (or
// anyOf) to X, reporting whether it was one.
func (d asyncDoc) nonNull(schema map[string]any) (map[string]any, bool) {
	for _, key := range []string{"oneOf", "anyOf"} {
		branches, ok := schema[key].([]any)
		if !ok || len(branches) != 2 {
			continue
		}
		for i, b := range branches {
			if d.resolve(b)["type"] == "null" {
				return d.resolve(branches[1-i]), true
			}
		}
	}
	return schema, false
}

// checkDecoderRequires proves the schema's required list is the
// decoder's: a payload of just the required fields decodes, dropping any
// one of them fails, every optional field is accepted, and a field the
// schema does not name is refused.
func checkDecoderRequires(t *testing.T, d asyncDoc, typ string, schema map[string]any) {
	t.Helper()
	props := d.get(schema, "properties")
	var required []string
	if r, ok := schema["required"]; ok {
		required = strs(r)
	}
	if schema["additionalProperties"] != false {
		t.Errorf("command %s: the decoder refuses unknown fields, so additionalProperties must be false", typ)
	}
	payload := map[string]any{}
	for _, name := range required {
		payload[name] = sample(d, d.resolve(props[name]))
	}
	decode := func(p map[string]any) error {
		frame, _ := json.Marshal(map[string]any{"type": typ, "payload": p})
		_, err := protocol.Decode(frame)
		return err
	}
	if err := decode(payload); err != nil {
		t.Fatalf("payload of the required fields %v is refused: %v", required, err)
	}
	for _, name := range required {
		without := maps.Clone(payload)
		delete(without, name)
		if err := decode(without); err == nil || !strings.Contains(err.Error(), "payload."+name+" is required") {
			t.Errorf("without required %s: %v, want it reported missing", name, err)
		}
	}
	for name, p := range props {
		if slices.Contains(required, name) {
			continue
		}
		with := maps.Clone(payload)
		with[name] = sample(d, d.resolve(p))
		if err := decode(with); err != nil {
			t.Errorf("optional %s refused: %v", name, err)
		}
	}
	extra := maps.Clone(payload)
	extra["notInTheSchema"] = 1
	if err := decode(extra); err == nil {
		t.Errorf("a field outside the schema was accepted")
	}
}

// sample returns a value of the schema's type.
func sample(d asyncDoc, schema map[string]any) any {
	if enum, ok := schema["enum"].([]any); ok {
		return enum[0]
	}
	switch schema["type"] {
	case "string":
		return "x"
	case "integer":
		return 1
	case "boolean":
		return true
	case "array":
		return []any{sample(d, d.get(schema, "items"))}
	}
	panic(fmt.Sprintf("no sample for schema %v", schema))
}

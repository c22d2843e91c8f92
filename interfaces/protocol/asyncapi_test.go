package protocol_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/chatd/chat/interfaces/protocol"
)

// The AsyncAPI document is written by hand, so these tests hold it to the
// code: every frame type, payload field, error code, close code and limit
// of this package must be in api/asyncapi.yaml, and nothing else. They
// live here, not with the REST API, because what they test is this
// package's frames; they read its source (protocolConsts) from the
// package directory, which is the working directory of its tests.

const asyncAPIPath = "../../api/asyncapi.yaml"

// framePayloads maps each frame type to the Go type of its payload. A new
// frame type in interfaces/protocol fails TestAsyncAPIFrameTypes until it
// is added here and to the document.
var framePayloads = map[string]any{
	protocol.TypeCreateChannel:        protocol.CreateChannel{},
	protocol.TypeSendMessage:          protocol.SendMessage{},
	protocol.TypeGetMessages:          protocol.GetMessages{},
	protocol.TypeGetChannel:           protocol.GetChannel{},
	protocol.TypeGetUsers:             protocol.GetUsers{},
	protocol.TypeJoinChannel:          protocol.JoinChannel{},
	protocol.TypeLeaveChannel:         protocol.LeaveChannel{},
	protocol.TypeHeartbeat:            protocol.Heartbeat{},
	protocol.TypeGetPresence:          protocol.GetPresence{},
	protocol.TypeReady:                protocol.Ready{},
	protocol.TypeChannelCreated:       protocol.ChannelCreated{},
	protocol.TypeMessageSent:          protocol.MessageSent{},
	protocol.TypeMessageReceived:      protocol.Message{},
	protocol.TypeMessages:             protocol.Messages{},
	protocol.TypeChannel:              protocol.Channel{},
	protocol.TypeUsers:                protocol.Users{},
	protocol.TypeChannelJoined:        protocol.ChannelJoined{},
	protocol.TypeChannelLeft:          protocol.ChannelLeft{},
	protocol.TypeMemberJoined:         protocol.MemberChange{},
	protocol.TypeMemberLeft:           protocol.MemberChange{},
	protocol.TypeHeartbeatAck:         protocol.HeartbeatAck{},
	protocol.TypePresence:             protocol.Presence{},
	protocol.TypePresenceUpdated:      protocol.UserPresence{},
	protocol.TypeError:                protocol.Error{},
	protocol.TypeMarkRead:             protocol.MarkRead{},
	protocol.TypeReadMarked:           protocol.ReadMarked{},
	protocol.TypeReadUpdated:          protocol.ReadUpdated{},
	protocol.TypeTyping:               protocol.Typing{},
	protocol.TypeTyping + eventSuffix: protocol.TypingEvent{},
}

// eventSuffix keys the server's message of a frame type that clients send
// too (typing): the command and the event are two messages of the
// document with the same type, told apart by the envelope (a command may
// carry a requestId, a pushed event never does).
const eventSuffix = " (event)"

// frameType is the frame type of a messagesByType key.
func frameType(key string) string { return strings.TrimSuffix(key, eventSuffix) }

// asyncDoc is the parsed document with a resolver for its local $refs.
type asyncDoc struct {
	t    *testing.T
	root map[string]any
}

func loadAsyncAPI(t *testing.T) asyncDoc {
	t.Helper()
	return loadYAML(t, asyncAPIPath)
}

// openAPIPath is the REST document, whose error body lists the same codes.
const openAPIPath = "../../api/openapi.yaml"

func loadOpenAPI(t *testing.T) asyncDoc {
	t.Helper()
	return loadYAML(t, openAPIPath)
}

// loadYAML parses a YAML document of the repository.
func loadYAML(t *testing.T, path string) asyncDoc {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	var root map[string]any
	if err := json.Unmarshal(js, &root); err != nil {
		t.Fatal(err)
	}
	return asyncDoc{t: t, root: root}
}

// get follows a path of keys from a node, resolving $refs on the way.
func (d asyncDoc) get(node any, path ...string) map[string]any {
	d.t.Helper()
	m := d.resolve(node)
	for _, key := range path {
		next, ok := m[key]
		if !ok {
			d.t.Fatalf("no %q in %v", key, keys(m))
		}
		m = d.resolve(next)
	}
	return m
}

func (d asyncDoc) resolve(node any) map[string]any {
	d.t.Helper()
	m, ok := node.(map[string]any)
	if !ok {
		d.t.Fatalf("%v is not an object", node)
	}
	for {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		target := any(d.root)
		for _, key := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			obj, ok := target.(map[string]any)
			if !ok || obj[key] == nil {
				d.t.Fatalf("dangling $ref %s", ref)
			}
			target = obj[key]
		}
		m = target.(map[string]any)
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	slices.Sort(out)
	return out
}

// protocolConsts reads the constants of interfaces/protocol whose names
// start with prefix, with their literal values, straight from the source:
// a constant added there is seen here without anyone listing it.
func protocolConsts(t *testing.T, prefix string) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.CONST {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if !strings.HasPrefix(name.Name, prefix) || !name.IsExported() {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok {
						t.Fatalf("protocol.%s is not a literal; teach this test to read it", name.Name)
					}
					value := lit.Value
					if lit.Kind == token.STRING {
						value, _ = strconv.Unquote(value)
					}
					out[name.Name] = value
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no constants named %s* in interfaces/protocol", prefix)
	}
	return out
}

// messagesByType returns the document's messages keyed by frame type.
func (d asyncDoc) messagesByType() map[string]map[string]any {
	out := map[string]map[string]any{}
	for key, m := range d.get(d.root, "components", "messages") {
		msg := d.resolve(m)
		typ, _ := d.get(msg, "payload", "properties", "type")["const"].(string)
		if typ == "" {
			d.t.Fatalf("message %s has no payload.properties.type.const", key)
		}
		if msg["name"] != typ {
			d.t.Errorf("message %s is named %v, want its frame type %s", key, msg["name"], typ)
		}
		if _, hasRequestID := d.get(msg, "payload", "properties")["requestId"]; isCommand(typ) && !hasRequestID {
			typ += eventSuffix
		}
		if _, dup := out[typ]; dup {
			d.t.Errorf("two messages of frame type %s", typ)
		}
		out[typ] = msg
	}
	return out
}

func TestAsyncAPIFrameTypes(t *testing.T) {
	doc := loadAsyncAPI(t)
	inCode := slices.Sorted(maps.Values(protocolConsts(t, "Type")))
	msgs := doc.messagesByType()
	inDoc := slices.Compact(slices.Sorted(func(yield func(string) bool) {
		for key := range msgs {
			if !yield(frameType(key)) {
				return
			}
		}
	}))
	if diff := cmp.Diff(inCode, inDoc); diff != "" {
		t.Fatalf("frame types in interfaces/protocol (-) and api/asyncapi.yaml (+):\n%s", diff)
	}
	for _, typ := range inCode {
		if _, ok := framePayloads[typ]; !ok {
			t.Errorf("frame type %s has no payload type in framePayloads", typ)
		}
	}
	// Every message is used: commands by an operation the server receives,
	// everything else by one it sends or by a reply.
	received, sent := map[string]bool{}, map[string]bool{}
	for name, op := range doc.get(doc.root, "operations") {
		op := doc.resolve(op)
		into := sent
		if op["action"] == "receive" {
			into = received
		}
		for _, m := range op["messages"].([]any) {
			into[doc.typeOf(m)] = true
		}
		if reply, ok := op["reply"].(map[string]any); ok {
			if op["action"] != "receive" {
				t.Errorf("operation %s: only received commands have replies", name)
			}
			for _, m := range reply["messages"].([]any) {
				sent[doc.typeOf(m)] = true
			}
		}
	}
	for _, typ := range inCode {
		_, alsoEvent := msgs[typ+eventSuffix]
		if isCommand(typ) != received[typ] || (!isCommand(typ) || alsoEvent) != sent[typ] {
			t.Errorf("%s: command=%v, received by an operation=%v, sent by one=%v", typ, isCommand(typ), received[typ], sent[typ])
		}
	}
}

func (d asyncDoc) typeOf(msgRef any) string {
	return d.get(msgRef, "payload", "properties", "type")["const"].(string)
}

// isCommand asks the decoder itself whether clients may send typ.
func isCommand(typ string) bool {
	_, err := protocol.Decode([]byte(`{"type":"` + typ + `","payload":{}}`))
	return err == nil || !strings.HasPrefix(err.Error(), "unknown type")
}

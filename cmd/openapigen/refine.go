package main

import (
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// What swag annotations cannot say is added here, after the conversion,
// so the document states every rule the server enforces on a request and
// a generator (a client's or a fuzzer's) can follow one call to the next.

// Patterns of request strings. The server refuses U+0000 in every string
// (interfaces/httpapi/nul.go). The regexes are written in the subset that
// ECMA-262 (the one OpenAPI names), Python and Go's RE2 read alike: \xHH
// escapes and literal characters, no \u.
const (
	noNUL = `^[^\x00]*$`
	// userID is domain.ValidateUserID: no control characters, spaces or '/'.
	userID = `^[^\x00-\x20\x7f/]*$`
	// notBlank is domain.ValidateUserName's "not blank": at least one
	// character outside Go's unicode.IsSpace (listed literally).
	// shardID is the shard map's id rule (migration 00012).
	shardID  = `^[a-z0-9][a-z0-9_-]{0,31}$`
	notBlank = "^[^\\x00]*[^\\x00\\x09-\\x0d\\x20\\x85\\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\\x00]*$"
)

// propertyPatterns are the body properties with a rule stricter than noNUL.
var propertyPatterns = map[string]string{
	"CreateUserRequest.id":   userID,
	"CreateUserRequest.name": notBlank,
	"AddShardRequest.id":     shardID,
}

// parameterPatterns are the parameters (operation id, name) with a rule
// stricter than noNUL.
var parameterPatterns = map[string]string{
	"listChannels.member": userID,
}

// link is an OpenAPI link from a response of one operation to another:
// the ids a creating or listing operation returns are what the reading
// operations take.
type link struct {
	from, status, name, to string
	params                 map[string]any
}

var links = []link{
	{"createUser", "201", "GetUser", "getUser", map[string]any{"id": "$response.body#/id"}},
	{"createUser", "201", "GetUserPresence", "getUserPresence", map[string]any{"id": "$response.body#/id"}},
	{"createUser", "201", "MintUserToken", "mintUserToken", map[string]any{"id": "$response.body#/id"}},
	{"createUser", "201", "ListChannelsOfUser", "listChannels", map[string]any{"member": "$response.body#/id"}},
	{"listUsers", "200", "GetFirstUser", "getUser", map[string]any{"id": "$response.body#/users/0/id"}},
	{"listChannels", "200", "GetFirstChannel", "getChannel", map[string]any{"id": "$response.body#/channels/0/id"}},
	{"listChannels", "200", "ListFirstChannelMessages", "listChannelMessages", map[string]any{"id": "$response.body#/channels/0/id"}},
	{"getChannel", "200", "ListChannelMessages", "listChannelMessages", map[string]any{"id": "$response.body#/id"}},
	{"getChannel", "200", "RemoveFirstMember", "removeChannelMember", map[string]any{"id": "$response.body#/id", "userId": "$response.body#/members/0/userId"}},
}

// refine applies the rules above to the converted document. It fails when
// a rule names an operation, parameter, property or response that is not
// there, so a renamed annotation cannot silently drop one.
func refine(doc *openapi3.T) error {
	ops := map[string]*openapi3.Operation{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.OperationID != "" {
				ops[op.OperationID] = op
			}
		}
	}
	used := map[string]bool{}
	for id, op := range ops {
		for _, p := range op.Parameters {
			pattern, ok := parameterPatterns[id+"."+p.Value.Name]
			used[id+"."+p.Value.Name] = ok
			if !ok {
				pattern = noNUL
			}
			setPattern(p.Value.Schema.Value, pattern)
		}
		if err := strictBody(doc, op, used); err != nil {
			return fmt.Errorf("operation %s: %w", id, err)
		}
	}
	for key := range parameterPatterns {
		if !used[key] {
			return fmt.Errorf("parameter pattern for %s: no such parameter", key)
		}
	}
	for key := range propertyPatterns {
		if !used[key] {
			return fmt.Errorf("property pattern for %s: no such request body property", key)
		}
	}
	for _, l := range links {
		if err := addLink(ops, l); err != nil {
			return err
		}
	}
	return nil
}

// strictBody marks the JSON body schema of op additionalProperties: false,
// as decodeJSON refuses unknown fields, and gives its strings patterns.
func strictBody(doc *openapi3.T, op *openapi3.Operation, used map[string]bool) error {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil
	}
	media := op.RequestBody.Value.Content.Get("application/json")
	if media == nil || media.Schema == nil {
		return fmt.Errorf("request body is not application/json")
	}
	name := strings.TrimPrefix(media.Schema.Ref, "#/components/schemas/")
	ref := doc.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("request body schema %q is not a component", media.Schema.Ref)
	}
	strict := false
	ref.Value.AdditionalProperties = openapi3.AdditionalProperties{Has: &strict}
	for prop, s := range ref.Value.Properties {
		pattern, ok := propertyPatterns[name+"."+prop]
		used[name+"."+prop] = ok
		if !ok {
			pattern = noNUL
		}
		setPattern(s.Value, pattern)
	}
	return nil
}

// setPattern gives a free string a pattern; enums already exclude U+0000.
func setPattern(s *openapi3.Schema, pattern string) {
	if s != nil && s.Type.Is(openapi3.TypeString) && len(s.Enum) == 0 {
		s.Pattern = pattern
	}
}

func addLink(ops map[string]*openapi3.Operation, l link) error {
	from, to := ops[l.from], ops[l.to]
	if from == nil || to == nil {
		return fmt.Errorf("link %s: operation %s or %s does not exist", l.name, l.from, l.to)
	}
	resp := from.Responses.Value(l.status)
	if resp == nil || resp.Value == nil {
		return fmt.Errorf("link %s: %s has no %s response", l.name, l.from, l.status)
	}
	for name := range l.params {
		if to.Parameters.GetByInAndName(openapi3.ParameterInPath, name) == nil && to.Parameters.GetByInAndName(openapi3.ParameterInQuery, name) == nil {
			return fmt.Errorf("link %s: %s has no parameter %s", l.name, l.to, name)
		}
	}
	if resp.Value.Links == nil {
		resp.Value.Links = openapi3.Links{}
	}
	resp.Value.Links[l.name] = &openapi3.LinkRef{Value: &openapi3.Link{OperationID: l.to, Parameters: l.params}}
	return nil
}

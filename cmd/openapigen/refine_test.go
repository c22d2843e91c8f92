package main

import (
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestRefinedDocument: the converted document says what the server does
// and swag cannot: strict bodies, no U+0000, links from the operations that
// create or list to those that read.
func TestRefinedDocument(t *testing.T) {
	doc, err := convert("../../docs/swagger.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"CreateUserRequest", "TokenRequest"} {
		ap := doc.Components.Schemas[name].Value.AdditionalProperties
		if ap.Has == nil || *ap.Has {
			t.Errorf("%s allows additional properties; decodeJSON refuses them", name)
		}
	}
	var op *openapi3.Operation
	for _, item := range doc.Paths.Map() {
		if item.Post != nil && item.Post.OperationID == "createUser" {
			op = item.Post
		}
	}
	if op == nil {
		t.Fatal("no createUser operation")
	}
	got := op.Responses.Value("201").Value.Links["GetUser"]
	if got == nil || got.Value.OperationID != "getUser" || got.Value.Parameters["id"] != "$response.body#/id" {
		t.Fatalf("createUser links to getUser: %+v", got)
	}
	id := doc.Paths.Find("/admin/v1/users/{id}").Get.Parameters.GetByInAndName("path", "id")
	if id.Schema.Value.Pattern != noNUL {
		t.Errorf("GET /admin/v1/users/{id}: id pattern %q", id.Schema.Value.Pattern)
	}
}

// TestRefineRefusesDanglingRules: a rule naming an operation or parameter
// the annotations no longer have fails the generation instead of silently
// dropping out of the document.
func TestRefineRefusesDanglingRules(t *testing.T) {
	doc, err := convert("../../docs/swagger.json")
	if err != nil {
		t.Fatal(err)
	}
	saved := links
	t.Cleanup(func() { links = saved })
	links = append(links[:len(links):len(links)], link{"createUser", "201", "Gone", "noSuchOperation", map[string]any{"id": "$response.body#/id"}})
	if err := refine(doc); err == nil || !strings.Contains(err.Error(), "noSuchOperation") {
		t.Fatalf("link to a missing operation: %v", err)
	}
	links = saved
	parameterPatterns["listUsers.nosuch"] = noNUL
	t.Cleanup(func() { delete(parameterPatterns, "listUsers.nosuch") })
	if err := refine(doc); err == nil || !strings.Contains(err.Error(), "listUsers.nosuch") {
		t.Fatalf("pattern for a missing parameter: %v", err)
	}
}

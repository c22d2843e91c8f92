package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConvertsTheCommittedDocument runs the converter on the committed
// Swagger 2.0 document and expects exactly the committed OpenAPI 3 files,
// so a change of the converter (or of kin-openapi) shows up in go test,
// not only in make check-generated.
func TestConvertsTheCommittedDocument(t *testing.T) {
	dir := t.TempDir()
	outYAML, outJSON := filepath.Join(dir, "openapi.yaml"), filepath.Join(dir, "openapi.json")
	if err := run("../../docs/swagger.json", outYAML, outJSON); err != nil {
		t.Fatal(err)
	}
	for got, want := range map[string]string{outYAML: "../../api/openapi.yaml", outJSON: "../../interfaces/httpapi/openapi.json"} {
		g, err := os.ReadFile(got)
		if err != nil {
			t.Fatal(err)
		}
		w, err := os.ReadFile(want)
		if err != nil {
			t.Fatal(err)
		}
		if string(g) != string(w) {
			t.Errorf("%s is not what the converter writes; run make generate", want)
		}
	}
}

func TestRefusesWhatIsNotSwagger(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.json")
	if err := os.WriteFile(in, []byte(`{"swagger": "2.0", "paths": {"/x": {"get": {"responses": {"200": {"schema": {"$ref": "#/definitions/Missing"}}}}}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run(in, filepath.Join(dir, "out.yaml"), filepath.Join(dir, "out.json"))
	if err == nil {
		t.Fatal("a document with a dangling $ref was converted")
	}
	if _, statErr := os.Stat(filepath.Join(dir, "out.yaml")); statErr == nil {
		t.Fatalf("output written despite %v", err)
	}
	if err := run(filepath.Join(dir, "missing.json"), "x", "y"); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Fatalf("missing input: %v", err)
	}
}

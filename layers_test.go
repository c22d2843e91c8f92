// Package chat_test holds the test that keeps the onion's dependency rule:
// dependencies point inward only.
package chat_test

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/chatd/chat"

// allowed lists, per layer, the layers of this module its packages may
// import (besides their own layer where noted). Anything outside the
// module (standard library, third-party) is not this test's business.
var allowed = map[string][]string{
	"domain":         {},
	"application":    {"domain", "retry"},
	"migrations":     {},
	"infrastructure": {"domain", "application", "infrastructure", "migrations", "retry"},
	"interfaces":     {"domain", "application", "interfaces", "retry"},
	"cmd":            {"domain", "application", "infrastructure", "interfaces", "migrations", "cmd", "retry"},
	// retry (backoff and failure-edge logging) stands outside the onion:
	// it imports nothing of ours, so every layer but the pure domain may
	// use it.
	"retry": {},
}

func layerOf(importPath string) string {
	rel := strings.TrimPrefix(strings.TrimPrefix(importPath, module), "/")
	layer, _, _ := strings.Cut(rel, "/")
	return layer
}

func TestDependenciesPointInward(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(string(bytes.TrimSpace(out)), "\n") {
		fields := strings.Fields(line)
		pkg := fields[0]
		if pkg == module {
			continue // this test's own package
		}
		from := layerOf(pkg)
		rules, ok := allowed[from]
		if !ok {
			t.Errorf("package %s is in no known layer; add the layer to docs/architecture.md and this test", pkg)
			continue
		}
		checked++
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			to := layerOf(imp)
			if to == from && from != "application" {
				continue
			}
			if !contains(rules, to) {
				t.Errorf("%s imports %s: layer %q may import only %v", pkg, imp, from, rules)
			}
		}
	}
	if checked < 5 {
		t.Fatalf("checked only %d packages; go list output looks wrong:\n%s", checked, out)
	}
}

// TestLayerRuleCatchesViolations proves the checker is not vacuous.
func TestLayerRuleCatchesViolations(t *testing.T) {
	for _, bad := range [][2]string{
		{"domain", "application"}, {"application", "infrastructure"}, {"application", "interfaces"},
		{"interfaces", "infrastructure"}, {"infrastructure", "interfaces"}, {"domain", "cmd"},
		{"domain", "retry"}, {"retry", "domain"}, {"retry", "infrastructure"},
	} {
		if contains(allowed[bad[0]], bad[1]) {
			t.Errorf("layer %s may import %s, which breaks the onion", bad[0], bad[1])
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// The paths of the monitoring files, from this package's directory.
const (
	dashboardPath = "../../deploy/grafana/chatd.json"
	alertsPath    = "../../deploy/prometheus/alerts.yml"
)

var (
	promString   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	promMatchers = regexp.MustCompile(`\{[^{}]*\}`)
	promRange    = regexp.MustCompile(`\[[^\]]*\]`)
	promGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promIdent    = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
	// promKeywords are the words of PromQL that are not metric names
	// (functions and aggregations are told apart by the "(" after them).
	promKeywords = map[string]bool{
		"and": true, "or": true, "unless": true, "bool": true, "offset": true,
		"by": true, "without": true, "on": true, "ignoring": true,
		"group_left": true, "group_right": true, "inf": true, "nan": true,
	}
)

// metricNames returns the metric names a PromQL expression selects: what
// is left once strings, label matchers, ranges and grouping clauses are
// cut out, minus keywords, numbers and function names.
func metricNames(expr string) []string {
	expr = promString.ReplaceAllString(expr, `""`)
	expr = promMatchers.ReplaceAllString(expr, " ")
	expr = promRange.ReplaceAllString(expr, " ")
	expr = promGrouping.ReplaceAllString(expr, " ")
	var names []string
	for _, loc := range promIdent.FindAllStringIndex(expr, -1) {
		name := expr[loc[0]:loc[1]]
		if loc[0] > 0 && (expr[loc[0]-1] >= '0' && expr[loc[0]-1] <= '9' || expr[loc[0]-1] == '.' || expr[loc[0]-1] == '$') {
			continue // 1e3, 0.5, $__rate_interval
		}
		if promKeywords[strings.ToLower(name)] || strings.HasPrefix(strings.TrimSpace(expr[loc[1]:]), "(") {
			continue
		}
		names = append(names, name)
	}
	return names
}

// dashboardExprs returns every query expression of a Grafana dashboard,
// in rows and nested panels alike.
func dashboardExprs(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []grafanaPanel `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var exprs []string
	var walk func([]grafanaPanel)
	walk = func(panels []grafanaPanel) {
		for _, p := range panels {
			for _, target := range p.Targets {
				exprs = append(exprs, target.Expr)
			}
			walk(p.Panels)
		}
	}
	walk(dash.Panels)
	return exprs
}

type grafanaPanel struct {
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	Panels []grafanaPanel `json:"panels"`
}

// alertExprs returns the expression of every rule of a Prometheus rule
// file.
func alertExprs(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []struct {
			Rules []struct {
				Expr string `json:"expr"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var exprs []string
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			exprs = append(exprs, r.Expr)
		}
	}
	return exprs
}

// exportedNames reads a /metrics text exposition and returns every name a
// query may select: each family's name and, for histograms and
// summaries, the series names with their suffixes.
func exportedNames(r io.Reader) (map[string]bool, error) {
	names := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 4 || fields[0] != "#" || fields[1] != "TYPE" {
			continue
		}
		name, typ := fields[2], fields[3]
		names[name] = true
		if typ == "histogram" || typ == "summary" {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				names[name+suffix] = true
			}
		}
	}
	return names, sc.Err()
}

// missingNames returns the names exprs use that exported lacks, sorted.
func missingNames(exprs []string, exported map[string]bool) []string {
	missing := map[string]bool{}
	for _, e := range exprs {
		for _, name := range metricNames(e) {
			if !exported[name] {
				missing[name] = true
			}
		}
	}
	out := make([]string, 0, len(missing))
	for name := range missing {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func TestMetricNames(t *testing.T) {
	for expr, want := range map[string]string{
		`histogram_quantile(0.99, sum by (le) (rate(chatd_delivery_latency_seconds_bucket[5m]))) > 0.5`: "chatd_delivery_latency_seconds_bucket",
		`sum by (result) (rate(chatd_ws_commands_total{result!="ok",type=~"a|b"}[$__rate_interval]))`:   "chatd_ws_commands_total",
		`a_total > 60000 or b > 0.92 * process_max_fds`:                                                 "a_total b process_max_fds",
		`deriv(max(chatd_outbox_backlog)[5m:30s]) > 0 and max without (instance) (x) > 1e3`:             "chatd_outbox_backlog x",
		`rate(x{le="+Inf"} [1m] offset 5m) / on (instance) group_left (node) y`:                         "x y",
	} {
		if got := strings.Join(metricNames(expr), " "); got != want {
			t.Errorf("metricNames(%s) = %q, want %q", expr, got, want)
		}
	}
	exported, err := exportedNames(strings.NewReader("# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 0\n# TYPE g gauge\ng 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := missingNames([]string{`rate(h_bucket[1m]) + h_count + g + nope`}, exported)
	if strings.Join(got, ",") != "nope" {
		t.Errorf("missing = %v, want [nope]", got)
	}
}

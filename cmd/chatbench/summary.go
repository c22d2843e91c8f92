package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// headlineLatencies are the latency rows a summary shows per scenario.
var headlineLatencies = map[string]bool{
	"presence change->partner": true, "heartbeat round trip": true, "reconnect->caught up": true,
	"send->receive": true,
}

// headlineMetrics are the metrics without a target that a summary shows.
var headlineMetrics = map[string]bool{
	"connections held": true, "connect rate": true, "time until all back (ready)": true,
	"time until all caught up": true, "machine CPU busy during run": true, "chatd CPU during run": true,
	"stored/s": true, "delivered/s": true, "late deliveries (over 1 s after the send)": true,
	"refused: unavailable": true, "refused: rate_limited": true,
}

// summarize prints one table over the JSON reports of several runs (what
// `make bench` shows at the end) and returns the exit code: 1 if any run
// failed or a report cannot be read.
func summarize(w io.Writer, paths []string) int {
	code := exitPass
	rows := [][]string{{"report", "result", "value", "unit", "metric", "target"}}
	for _, path := range paths {
		rep, err := readReport(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "chatbench:", err)
			rows = append(rows, []string{path, "MISSING", "", "", "", ""})
			code = exitFail
			continue
		}
		verdict := "PASS"
		if !rep.Passed {
			verdict, code = "FAIL", exitFail
		}
		// The file name says which run it was (make bench writes
		// embedded-direct.json, real-direct.json, ...).
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		if !strings.Contains(name, rep.Scenario) {
			name += " (" + rep.Scenario + ")"
		}
		first := true
		add := func(metric, value, unit, target string) {
			label, result := "", ""
			if first {
				label, result, first = name, verdict, false
			}
			rows = append(rows, []string{label, result, value, unit, metric, target})
		}
		for _, m := range rep.Metrics {
			if m.Met == nil && !headlineMetrics[m.Name] {
				continue
			}
			target := m.Target
			if m.Met != nil && !*m.Met {
				target += " MISSED"
			}
			add(m.Name, formatValue(m.Value), m.Unit, target)
		}
		for _, l := range rep.Latencies {
			if headlineLatencies[l.Name] {
				add(l.Name+" p99", ms(l.P99), "ms", "")
			}
		}
		if len(rep.Failures) > 0 {
			add("first failure", "", "", truncate(rep.Failures[0], 160))
		}
		if first {
			add("", "", "", "")
		}
	}
	writeSummaryRows(w, rows)
	return code
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func readReport(path string) (*Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	var rep Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("decode report %s: %w", path, err)
	}
	return &rep, nil
}

// writeSummaryRows aligns the summary: text columns left, the value
// column right.
func writeSummaryRows(w io.Writer, rows [][]string) {
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, cell := range row[:len(row)-1] {
			widths[i] = max(widths[i], len(cell))
		}
	}
	for _, row := range rows {
		line := ""
		for i, cell := range row {
			switch {
			case i == len(row)-1:
				line += "  " + cell
			case i == 2:
				line += fmt.Sprintf("  %*s", widths[i], cell)
			default:
				line += fmt.Sprintf("  %-*s", widths[i], cell)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
}

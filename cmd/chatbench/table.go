package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// printTable writes the human form of a report.
func printTable(w io.Writer, r *Report) {
	verdict := "PASS"
	if !r.Passed {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "== chatbench %s: %s\n", r.Scenario, verdict)
	m := r.Machine
	fmt.Fprintf(w, "machine: %d cores, %.1f GiB, %s, %s/%s, kernel %s, open-file limit %d, load %.2f\n",
		m.Cores, float64(m.MemoryBytes)/(1<<30), m.GoVersion, m.OS, m.Arch, m.Kernel, m.OpenFileLimit, m.LoadAverage)
	fmt.Fprintf(w, "params:  %s\n", describeParams(r.Params))
	var phases []string
	for _, p := range presentPhases(r.Phases) {
		phases = append(phases, fmt.Sprintf("%s %.2fs", p, r.Phases[p]))
	}
	fmt.Fprintf(w, "phases:  %s (client processes: %d)\n", strings.Join(phases, ", "), r.Processes)

	if len(r.Metrics) > 0 {
		rows := [][]string{{"metric", "value", "unit", "target"}}
		for _, mt := range r.Metrics {
			target := mt.Target
			if mt.Met != nil {
				if *mt.Met {
					target += " (met)"
				} else {
					target += " (MISSED)"
				}
			}
			rows = append(rows, []string{mt.Name, formatValue(mt.Value), mt.Unit, target})
		}
		writeRows(w, rows)
	}
	if len(r.Latencies) > 0 {
		rows := [][]string{{"latency (ms)", "count", "p50", "p90", "p99", "p99.9", "max"}}
		for _, l := range r.Latencies {
			rows = append(rows, []string{l.Name, strconv.FormatInt(l.Count, 10), ms(l.P50), ms(l.P90), ms(l.P99), ms(l.P999), ms(l.Max)})
		}
		writeRows(w, rows)
	}
	if c := r.Check; c.Streams > 0 {
		fmt.Fprintf(w, "check:   %d streams, %d expected, %d delivered, %d missing, %d duplicated, %d reordered\n",
			c.Streams, c.Expected, c.Delivered, c.Missing, c.Duplicates, c.Reordered)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note:    %s\n", n)
	}
	for _, f := range r.Failures {
		fmt.Fprintf(w, "FAILURE: %s\n", f)
	}
	if n := r.Counters["failures"]; n > int64(len(r.Failures)) {
		fmt.Fprintf(w, "FAILURE: ... %d failures in all\n", n)
	}
}

// writeRows prints a table whose first column is left-aligned (names)
// and the others right-aligned (numbers), except the unit and target
// columns of the metrics table.
func writeRows(w io.Writer, rows [][]string) {
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, cell := range row {
			widths[i] = max(widths[i], len(cell))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for i, cell := range row {
			switch {
			case i == 0:
				fmt.Fprintf(&b, "  %-*s", widths[i], cell)
			case len(row) == 4 && i >= 2: // unit and target are text
				fmt.Fprintf(&b, "  %-*s", widths[i], cell)
			default:
				fmt.Fprintf(&b, "  %*s", widths[i], cell)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

func ms(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// presentPhases returns the phase names present, in run order.
func presentPhases(m map[string]float64) []string {
	var out []string
	for _, p := range phases {
		if _, ok := m[p]; ok {
			out = append(out, p)
		}
	}
	return out
}

func describeParams(p Params) string {
	parts := []string{"url=" + p.URL}
	switch p.Scenario {
	case "idle":
		parts = append(parts, fmt.Sprintf("conns=%d heartbeat=%s", p.Conns, p.Heartbeat))
	case "direct":
		parts = append(parts, fmt.Sprintf("pairs=%d senders=%d rate=%g/s body=%d", p.Pairs, directSenders(p), p.Rate, p.BodySize))
	case "group":
		parts = append(parts, fmt.Sprintf("groups=%d size=%d senders=%d rate=%g/s body=%d", p.Groups, p.GroupSize, groupSenders(p), p.Rate, p.BodySize))
	case "presence":
		parts = append(parts, fmt.Sprintf("conns=%d toggles=%d inflight=%d", p.Conns, p.Toggles, p.InFlight))
	case "burst-reconnect":
		parts = append(parts, fmt.Sprintf("conns=%d group-size=%d rate=%g/s down=%s", p.Conns, p.GroupSize, p.Rate, p.Down))
	}
	parts = append(parts, "duration="+p.Duration.String())
	return strings.Join(parts, " ")
}

// formatValue prints a number with precision that suits its size.
func formatValue(v float64) string {
	switch {
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatInt(int64(v), 10)
	case math.Abs(v) >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
}

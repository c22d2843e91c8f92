package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// Report is the outcome of one run, printed as a table and written as
// JSON with -json.
type Report struct {
	Scenario  string             `json:"scenario"`
	StartedAt time.Time          `json:"startedAt"`
	Params    Params             `json:"params"`
	Machine   Machine            `json:"machine"`
	Processes int                `json:"processes"`
	Phases    map[string]float64 `json:"phaseSeconds"`
	// Server holds the process and runtime gauges of chatd's /metrics at
	// the start and after each phase.
	Server    map[string]serverMetrics `json:"server"`
	Metrics   []Metric                 `json:"metrics"`
	Latencies []LatencyReport          `json:"latencies,omitempty"`
	Check     Tally                    `json:"check"`
	Counters  map[string]int64         `json:"counters"`
	Notes     []string                 `json:"notes,omitempty"`
	Passed    bool                     `json:"passed"`
	Failures  []string                 `json:"failures,omitempty"`
}

// Metric is one result with its unit and, where the issue sets one, the
// target it is measured against. Missing a target does not fail a run:
// only wrong behaviour does.
type Metric struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	Target string  `json:"target,omitempty"`
	Met    *bool   `json:"met,omitempty"`
}

// LatencyReport summarises one histogram, in milliseconds, and carries its
// non-empty buckets (lower and upper bound in µs, count) so the full
// distribution can be plotted or merged later.
type LatencyReport struct {
	Name    string     `json:"name"`
	Count   int64      `json:"count"`
	P50     float64    `json:"p50Ms"`
	P90     float64    `json:"p90Ms"`
	P99     float64    `json:"p99Ms"`
	P999    float64    `json:"p999Ms"`
	Max     float64    `json:"maxMs"`
	Mean    float64    `json:"meanMs"`
	Buckets [][3]int64 `json:"bucketsUs"`
}

func newLatencyReport(name string, h *Histogram) LatencyReport {
	ms := func(us int64) float64 { return float64(us) / 1000 }
	r := LatencyReport{
		Name: name, Count: h.Count(),
		P50: ms(h.Percentile(0.50)), P90: ms(h.Percentile(0.90)), P99: ms(h.Percentile(0.99)),
		P999: ms(h.Percentile(0.999)), Max: ms(h.Max()), Mean: h.Mean() / 1000,
	}
	for _, b := range h.Data().Buckets {
		lo, hi := bucketBounds(b.Index)
		r.Buckets = append(r.Buckets, [3]int64{lo, hi, b.Count})
	}
	return r
}

// add appends a metric without a target.
func (r *Report) add(name string, value float64, unit string) {
	r.Metrics = append(r.Metrics, Metric{Name: name, Value: value, Unit: unit})
}

// addTarget appends a metric with its target; atLeast says whether the
// target is a floor (throughput) or a ceiling (latency, memory).
func (r *Report) addTarget(name string, value float64, unit string, target float64, atLeast bool) {
	met := value <= target
	sign := "<="
	if atLeast {
		met, sign = value >= target, ">="
	}
	r.Metrics = append(r.Metrics, Metric{Name: name, Value: value, Unit: unit,
		Target: fmt.Sprintf("%s %s", sign, formatValue(target)), Met: &met})
}

// addLatency appends a latency summary if anything was recorded.
func (r *Report) addLatency(name string, h *Histogram) {
	if h.Count() > 0 {
		r.Latencies = append(r.Latencies, newLatencyReport(name, h))
	}
}

// buildReport turns a run into its report; machine was described when the
// run started (its load average then), runErr is why the run stopped early,
// if it did.
func buildReport(p Params, machine Machine, started time.Time, data *runData, runErr error) *Report {
	rep := &Report{Scenario: p.Scenario, StartedAt: started.UTC(), Params: p, Machine: machine,
		Phases: map[string]float64{}, Server: map[string]serverMetrics{}, Counters: map[string]int64{}}
	if data != nil {
		rep.Processes = data.shards
		for phase, d := range data.phaseDur {
			rep.Phases[phase] = d.Seconds()
		}
		for phase, m := range data.metrics {
			rep.Server[phase] = pickMetrics(m)
		}
		rep.Check = data.result.Tally
		rep.Counters = data.result.Counters
		rep.Notes = data.result.Notes
		rep.Failures = append(rep.Failures, data.result.Failures...)
		if runErr == nil {
			scenarios[p.Scenario].summarize(rep, data)
		}
		if data.cpuBusy >= 0 {
			rep.add("machine CPU busy during run", 100*data.cpuBusy, "%")
		}
	}
	if runErr != nil {
		rep.Failures = append([]string{"run aborted: " + runErr.Error()}, rep.Failures...)
	}
	if rep.Check.Failed() {
		rep.Failures = append(rep.Failures, fmt.Sprintf("delivery check failed: %d missing, %d duplicated, %d reordered",
			rep.Check.Missing, rep.Check.Duplicates, rep.Check.Reordered))
	}
	rep.Passed = runErr == nil && !rep.Check.Failed() && rep.Counters["failures"] == 0 && len(rep.Failures) == 0
	return rep
}

// pickMetrics keeps the gauges the reports use.
func pickMetrics(m serverMetrics) serverMetrics {
	out := serverMetrics{}
	for _, name := range []string{metricRSS, metricCPU, metricOpenFDs, metricGoroutines, metricHeapInuse, metricStackInuse} {
		if v, ok := m[name]; ok {
			out[name] = v
		}
	}
	return out
}

// writeJSON writes the report to path.
func (r *Report) writeJSON(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

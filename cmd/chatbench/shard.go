package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
)

// The phases every shard goes through, in order. The coordinator starts a
// phase on all shards at once and waits for all of them before it reads
// the server's /metrics and starts the next, so "server memory after
// connect" or "messages during run" mean the same across processes.
const (
	phasePrepare = "prepare" // create users and tokens
	phaseConnect = "connect" // open connections, create channels
	phaseRun     = "run"     // the measured phase
	phaseFinish  = "finish"  // wait for the tail, verify, close
)

var phases = []string{phasePrepare, phaseConnect, phaseRun, phaseFinish}

// shard is one process's part of a scenario: its own users, connections
// and channels, so that every check (a channel's seqs, a partner's
// presence) stays inside one process.
type shard interface {
	prepare(ctx context.Context) error
	connect(ctx context.Context) error
	run(ctx context.Context) error
	finish(ctx context.Context) (shardResult, error)
}

// shardSpec says which part of the run a shard owns.
type shardSpec struct {
	Index      int `json:"index"`
	Count      int `json:"count"`
	ConnOffset int `json:"connOffset"` // number of the shard's first connection in the run
}

// share returns the part of total that shard index of count owns: the
// first total%count shards get one more.
func share(total, index, count int) int {
	n := total / count
	if index < total%count {
		n++
	}
	return n
}

// shardEnv is what a shard gets to work with.
type shardEnv struct {
	params Params
	spec   shardSpec
	admin  *admin
	pool   *clientPool
	log    *slog.Logger
	runID  string // prefix of user names, so runs against one server do not mix
}

// userPrefix names this shard's users.
func (e *shardEnv) userPrefix() string {
	return fmt.Sprintf("bench-%s-%s-%d", e.runID, e.params.Scenario, e.spec.Index)
}

// shardResult is what a shard reports after finish; the coordinator sums
// the results of all shards.
type shardResult struct {
	Counters   map[string]int64         `json:"counters,omitempty"`
	Maxima     map[string]float64       `json:"maxima,omitempty"`
	Histograms map[string]HistogramData `json:"histograms,omitempty"`
	Tally      Tally                    `json:"tally"`
	Failures   []string                 `json:"failures,omitempty"`
	Notes      []string                 `json:"notes,omitempty"`
}

func newShardResult() shardResult {
	return shardResult{Counters: map[string]int64{}, Maxima: map[string]float64{}, Histograms: map[string]HistogramData{}}
}

// maxListed bounds the failures kept verbatim; the counts carry the rest.
const maxListed = 20

// fail records a failure, keeping the first few verbatim.
func (r *shardResult) fail(format string, args ...any) {
	r.Counters["failures"]++
	if len(r.Failures) < maxListed {
		r.Failures = append(r.Failures, fmt.Sprintf(format, args...))
	}
}

// note records a remark once.
func (r *shardResult) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if !slices.Contains(r.Notes, msg) {
		r.Notes = append(r.Notes, msg)
	}
}

// merge adds another shard's result into r.
func (r *shardResult) merge(o shardResult) {
	for k, v := range o.Counters {
		r.Counters[k] += v
	}
	for k, v := range o.Maxima {
		r.Maxima[k] = max(r.Maxima[k], v)
	}
	for k, d := range o.Histograms {
		h := NewHistogram()
		h.Merge(r.Histograms[k])
		h.Merge(d)
		r.Histograms[k] = h.Data()
	}
	r.Tally.Add(o.Tally)
	for _, f := range o.Failures {
		if len(r.Failures) < maxListed {
			r.Failures = append(r.Failures, f)
		}
	}
	for _, n := range o.Notes {
		r.note("%s", n)
	}
}

// histogram returns a merged histogram by name (empty if absent).
func (r *shardResult) histogram(name string) *Histogram {
	h := NewHistogram()
	h.Merge(r.Histograms[name])
	return h
}

// errorSummary joins error codes and counts for a note, e.g.
// "rate_limited x12".
func errorSummary(codes map[string]int64) string {
	parts := make([]string, 0, len(codes))
	for code, n := range codes {
		parts = append(parts, fmt.Sprintf("%s x%d", code, n))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

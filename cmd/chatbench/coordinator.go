package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// runData is what the coordinator learned during a run: how long each
// phase took over all shards, the server's /metrics after each phase, the
// machine's CPU use during the measured phase, and the merged results.
type runData struct {
	params   Params
	shards   int
	phaseDur map[string]time.Duration
	metrics  map[string]serverMetrics // "start" and each phase name, after the phase
	cpuBusy  float64                  // share of all cores busy during run, -1 if unknown
	result   shardResult
}

// serverDelta is a /metrics value after phase b minus after phase a.
func (d *runData) serverDelta(name, a, b string) float64 {
	return d.metrics[b][name] - d.metrics[a][name]
}

func newShardEnv(p Params, spec shardSpec, runID string, log *slog.Logger) (*shardEnv, error) {
	plan, err := newSourcePlan(p.SourceBase, p.SourceEvery)
	if err != nil {
		return nil, err
	}
	return &shardEnv{
		params: p,
		spec:   spec,
		admin:  newAdmin(p.URL, p.AdminToken, p.AdminConcurrency),
		pool:   newClientPool(plan),
		log:    log,
		runID:  runID,
	}, nil
}

func newRunID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand never fails on Linux; a zero id would still work
	return hex.EncodeToString(b)
}

// runBenchmark runs one scenario over its shards and returns what it saw.
// An error means the run could not be carried out (server unreachable, a
// phase failed); failed checks are in the result, not in the error.
func runBenchmark(ctx context.Context, p Params, log *slog.Logger) (*runData, error) {
	specs := plan(&p)
	runID := newRunID()
	handles := make([]shardHandle, 0, len(specs))
	defer func() {
		for _, h := range handles {
			h.stop()
		}
	}()
	for _, spec := range specs {
		if len(specs) == 1 {
			env, err := newShardEnv(p, spec, runID, log)
			if err != nil {
				return nil, err
			}
			handles = append(handles, localHandle{scenarios[p.Scenario].newShard(env)})
			continue
		}
		h, err := startWorker(workerInit{Params: p, AdminToken: p.AdminToken, Spec: spec, RunID: runID, Verbose: p.Verbose})
		if err != nil {
			return nil, err
		}
		handles = append(handles, h)
	}

	adm := newAdmin(p.URL, p.AdminToken, 2)
	data := &runData{params: p, shards: len(specs), phaseDur: map[string]time.Duration{},
		metrics: map[string]serverMetrics{}, cpuBusy: -1, result: newShardResult()}
	var err error
	if data.metrics["start"], err = adm.scrape(ctx); err != nil {
		return nil, fmt.Errorf("read the server's /metrics: %w", err)
	}
	for _, phase := range phases {
		log.Info("phase", "name", phase, "shards", len(handles))
		var cpu0 cpuSample
		if phase == phaseRun {
			cpu0 = readCPU()
		}
		start := time.Now()
		results, err := doAll(ctx, handles, phase)
		data.phaseDur[phase] = time.Since(start)
		if phase == phaseRun {
			data.cpuBusy = readCPU().busySince(cpu0)
		}
		if err != nil {
			return data, fmt.Errorf("%s phase: %w", phase, err)
		}
		for _, r := range results {
			data.result.merge(r)
		}
		if data.metrics[phase], err = adm.scrape(ctx); err != nil {
			return data, fmt.Errorf("read /metrics after %s: %w", phase, err)
		}
	}
	return data, nil
}

// doAll runs a phase on every shard at once; the first error cancels the
// others.
func doAll(ctx context.Context, handles []shardHandle, phase string) ([]shardResult, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	results := make([]shardResult, len(handles))
	var wg sync.WaitGroup
	for i, h := range handles {
		wg.Go(func() {
			res, err := h.do(ctx, phase)
			if err != nil {
				cancel(fmt.Errorf("shard %d: %w", i, err))
				return
			}
			results[i] = res
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return results, nil
}

package main

import (
	"fmt"
	"slices"
	"strings"
)

// scenario is one named benchmark.
type scenario struct {
	help string
	// validate checks the scenario's sizes.
	validate func(p *Params) error
	// conns is how many connections a shard of the run holds; the
	// coordinator sizes the process split and the source addresses by it.
	conns func(p *Params, index, count int) int
	// newShard builds one process's part.
	newShard func(env *shardEnv) shard
	// summarize turns the merged results into the report's metrics.
	summarize func(rep *Report, run *runData)
}

// scenarios is the registry of -scenario names.
var scenarios = map[string]*scenario{
	"idle":            idleScenario,
	"direct":          directScenario,
	"group":           groupScenario,
	"presence":        presenceScenario,
	"burst-reconnect": reconnectScenario,
}

func scenarioNames() string {
	names := make([]string, 0, len(scenarios))
	for name := range scenarios {
		names = append(names, name)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// totalConns is the number of connections of the whole run.
func totalConns(p *Params) int {
	return scenarios[p.Scenario].conns(p, 0, 1)
}

// plan splits the run into shards: -procs of them, or as many as needed
// to keep each under -conns-per-proc connections. A process may hold at
// most 20,000 open files here (the hard limit), one per connection.
func plan(p *Params) []shardSpec {
	sc := scenarios[p.Scenario]
	count := p.Procs
	if count == 0 {
		count = max(1, (totalConns(p)+p.ConnsPerProc-1)/p.ConnsPerProc)
	}
	specs := make([]shardSpec, count)
	offset := 0
	for i := range specs {
		specs[i] = shardSpec{Index: i, Count: count, ConnOffset: offset}
		offset += sc.conns(p, i, count)
	}
	return specs
}

func positive(name string, v int) error {
	if v < 1 {
		return fmt.Errorf("-%s must be at least 1, got %d", name, v)
	}
	return nil
}

const scenarioHelp = `Scenarios:
  idle             -conns connections (one user each) that heartbeat every
                   -heartbeat; reports server RSS per connection (from
                   /metrics, before and after connecting) and connect rate.
                   One chatd process may hold at most 20,000 open files in
                   this workplace (hard limit), so about 19,000 connections.
  direct           -pairs user pairs in direct channels, both users sending
                   at -rate messages/s in total; reports messages/s stored
                   and delivered, send-to-receive and send-to-ack latency.
  group            -groups groups of -group-size members, a -senders share
                   of them sending at -rate messages/s in total; reports
                   deliveries/s and latency.
  presence         -conns users heartbeating back to back (-inflight each), plus -toggles
                   users going online/offline whose partners watch for
                   presence_updated; reports heartbeats/s and presence-change
                   latency. Fails while the server does not support heartbeat.
  burst-reconnect  -conns clients in groups of -group-size (plus one sender
                   per group) drop at once, stay away -down while the senders
                   go on at -rate, reconnect at once and catch up with
                   get_messages; reports the time until all are back and
                   caught up.

Every scenario checks what it received (no lost, duplicated or reordered
seq, every command answered) and exits 1 on any failure, whatever its speed.
Source addresses rotate from -source-base every -source-every connections so
ephemeral ports do not run out; runs above -conns-per-proc connections split
over worker processes (each process also has the 20,000 open-file cap).
`

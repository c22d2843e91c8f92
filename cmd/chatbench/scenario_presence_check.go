package main

import (
	"context"
	"math"
	"slices"
)

func (s *presenceShard) finish(ctx context.Context) (shardResult, error) {
	res := newShardResult()
	res.Counters["connections"] = int64(len(s.fleet.clients))
	defer closeAll(s.fleet.clients, true)
	if s.unsupported != "" {
		res.Counters["presence_unsupported"] = 1
		res.fail("heartbeat is not supported by this server (it answered %s): presence cannot be measured, no numbers reported", s.unsupported)
		checkDrops(s.fleet.clients, &res)
		return res, nil
	}
	// Every heartbeating user went online once (in connect); its partner
	// must have seen exactly that.
	for _, ch := range s.flood {
		for _, c := range ch.members {
			c.mu.Lock()
			got := slices.Clone(c.state.(*presenceView).statuses)
			c.mu.Unlock()
			s.checkSequence(&res, c, []string{"online"}, got)
		}
	}
	toggleSeen := func() bool {
		for i, ch := range s.toggle {
			v := ch.members[1]
			v.mu.Lock()
			n := len(v.state.(*presenceView).statuses)
			v.mu.Unlock()
			if n < len(s.toggles[i]) {
				return false
			}
		}
		return true
	}
	waitUntil(ctx, s.env.params.Drain, toggleSeen) // what is still missing, the check counts
	for i, ch := range s.toggle {
		watcher := ch.members[1]
		watcher.mu.Lock()
		got := slices.Clone(watcher.state.(*presenceView).statuses)
		watcher.mu.Unlock()
		s.checkSequence(&res, watcher, s.toggles[i], got)
		res.Counters["presence_changes"] += int64(len(s.toggles[i]))
	}
	checkDrops(s.fleet.clients, &res)
	s.faultMu.Lock()
	for _, f := range s.faultList {
		res.fail("%s", f)
	}
	s.faultMu.Unlock()
	if extra := s.faults.Load() - int64(len(s.faultList)); extra > 0 {
		res.Counters["failures"] += extra
	}
	if n := s.late.Load(); n > 0 {
		res.note("%d togglers stopped early: a change had not reached the partner within %s", n, s.env.params.Drain)
	}
	res.Counters["heartbeat_acks"] = s.acks.Load()
	res.Counters["client_cpu_ms"] = int64(math.Round(s.cpuRun * 1000))
	res.Maxima["run_seconds"] = s.runSeconds
	res.Histograms["heartbeat_rtt"] = s.rtt.Data()
	res.Histograms["presence_change"] = s.change.Data()
	res.Histograms["dial"] = s.fleet.dialLatency.Data()
	return res, nil
}

// checkSequence compares the presence statuses a user saw of its partner
// with the changes the partner made, as one checked stream.
func (s *presenceShard) checkSequence(res *shardResult, c *client, want, got []string) {
	t := Tally{Streams: 1, Expected: int64(len(want)), Delivered: int64(min(len(got), len(want)))}
	switch {
	case len(got) > len(want):
		t.Duplicates = int64(len(got) - len(want))
	case len(got) < len(want):
		t.Missing = int64(len(want) - len(got))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Reordered++
		}
	}
	res.Tally.Add(t)
	if t.Failed() {
		res.fail("%s saw its partner's presence as %v, want %v", c.user.ID, got, want)
	}
}

func summarizePresence(rep *Report, run *runData) {
	r := run.result
	if r.Counters["presence_unsupported"] > 0 {
		return
	}
	seconds := r.Maxima["run_seconds"]
	rep.add("connections", float64(r.Counters["connections"]), "")
	rep.addTarget("heartbeats/s", perSecond(r.Counters["heartbeat_acks"], seconds), "/s", targetHeartbeats, true)
	rep.add("presence changes checked", float64(r.Counters["presence_changes"]), "")
	addCPU(rep, run, run.phaseDur[phaseRun].Seconds())
	rep.addLatency("heartbeat round trip", r.histogram("heartbeat_rtt"))
	rep.addLatency("presence change->partner", r.histogram("presence_change"))
	rep.addLatency("dial->ready", r.histogram("dial"))
}

package main

import (
	"context"
)

func (s *reconnectShard) finish(ctx context.Context) (shardResult, error) {
	res := newShardResult()
	drain := s.env.params.Drain
	awaitReplies(ctx, drain, s.pacer, s.traffic, &res)
	if !waitUntil(ctx, drain, func() bool { return allCaughtUp(s.channels) }) {
		res.note("not every client held every acknowledged message %s after the replies; the check below counts what is missing", drain)
	}
	checkDrops(s.fleet.clients, &res)
	verifyChannels(s.channels, &res)
	s.traffic.report(&res)
	reportPacer(s.pacer, s.runStart, s.traffic, s.cpuRun, &res)
	s.faultMu.Lock()
	for _, f := range s.faults {
		res.fail("%s", f)
	}
	s.faultMu.Unlock()
	res.Counters["connections"] = int64(len(s.fleet.clients))
	res.Counters["reconnected"] = int64(len(s.members))
	res.Counters["sent_while_down"] = s.sentWhileDown
	res.Counters["catch_up_messages"] = s.fetched.Load()
	res.Counters["get_messages_calls"] = s.calls.Load()
	res.Counters["dial_retries"] = s.fleet.retries.Load()
	res.Histograms["reconnect_to_ready"] = s.toReady.Data()
	res.Histograms["reconnect_to_caught_up"] = s.toCaughtUp.Data()
	closeAll(s.fleet.clients, true)
	return res, nil
}

func summarizeReconnect(rep *Report, run *runData) {
	r := run.result
	ready, caught := r.histogram("reconnect_to_ready"), r.histogram("reconnect_to_caught_up")
	rep.add("clients dropped and reconnected", float64(r.Counters["reconnected"]), "")
	rep.add("messages sent while they were away", float64(r.Counters["sent_while_down"]), "msg")
	rep.add("time until all back (ready)", float64(ready.Max())/1e6, "s")
	rep.add("time until all caught up", float64(caught.Max())/1e6, "s")
	rep.add("reconnects/s", perSecond(ready.Count(), float64(ready.Max())/1e6), "/s")
	rep.add("messages fetched with get_messages", float64(r.Counters["catch_up_messages"]), "msg")
	rep.add("get_messages calls", float64(r.Counters["get_messages_calls"]), "")
	rep.add("dial retries", float64(r.Counters["dial_retries"]), "")
	rep.add("stored (message_sent)", float64(r.Counters["acked"]), "msg")
	rep.add("delivered live (message_received)", float64(r.Counters["received"]), "msg")
	addCPU(rep, run, run.phaseDur[phaseRun].Seconds())
	rep.addLatency("reconnect->ready", ready)
	rep.addLatency("reconnect->caught up", caught)
}

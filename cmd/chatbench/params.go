package main

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"time"
)

// Params are the flags of one run. They travel to worker processes as
// JSON, and into the report, so a number can always be traced to the
// settings that produced it.
type Params struct {
	URL        string `json:"url"`
	AdminToken string `json:"-"`
	Scenario   string `json:"scenario"`

	Conns     int     `json:"conns"`     // idle, presence, burst-reconnect: connections (users)
	Pairs     int     `json:"pairs"`     // direct: user pairs, each in one direct channel
	Groups    int     `json:"groups"`    // group: number of groups
	GroupSize int     `json:"groupSize"` // group, burst-reconnect: members per group
	Senders   float64 `json:"senders"`   // group: share of members that send
	// ChannelSenders, when positive, is how many members of each channel
	// send (direct: 1 or 2; group: overrides Senders), for the shapes of
	// one sender connection per channel.
	ChannelSenders int     `json:"channelSenders,omitempty"`
	Rate           float64 `json:"rate"`     // direct, group, burst-reconnect: messages/s, all senders together
	BodySize       int     `json:"bodySize"` // characters per message body
	MarkRead       bool    `json:"markRead"` // direct, group: receivers mark every message read

	Duration  time.Duration `json:"duration"`         // length of the measured phase
	Heartbeat time.Duration `json:"heartbeat"`        // idle: heartbeat interval per connection
	WSPing    bool          `json:"wsPing,omitempty"` // idle: a WebSocket ping per interval too
	Toggles   int           `json:"toggles"`          // presence: users that toggle online/offline
	InFlight  int           `json:"inFlight"`         // presence: heartbeats in flight per connection
	Down      time.Duration `json:"down"`             // burst-reconnect: how long clients stay away
	Drain     time.Duration `json:"drain"`            // bound on the wait for the tail of the traffic

	Procs              int    `json:"procs"`        // worker processes; 0 picks from conns-per-proc
	ConnsPerProc       int    `json:"connsPerProc"` // connections one process may hold
	SourceBase         string `json:"sourceBase"`   // first local source address; empty: no rotation
	SourceEvery        int    `json:"sourceEvery"`  // connections per source address
	ConnectConcurrency int    `json:"connectConcurrency"`
	AdminConcurrency   int    `json:"adminConcurrency"`

	JSONFile   string `json:"-"`
	CPUProfile string `json:"-"`
	Verbose    bool   `json:"-"`
}

// defineFlags registers the flags on fs with their defaults.
func defineFlags(fs *flag.FlagSet, p *Params) {
	fs.StringVar(&p.URL, "url", "http://127.0.0.1:8080", "HTTP base URL of chatd (the WebSocket URL is derived from it)")
	fs.StringVar(&p.AdminToken, "admin-token", os.Getenv("CHAT_ADMIN_TOKEN"), "admin API token (default $CHAT_ADMIN_TOKEN)")
	fs.StringVar(&p.Scenario, "scenario", "", "idle | direct | group | presence | burst-reconnect")
	fs.IntVar(&p.Conns, "conns", 2000, "idle, presence, burst-reconnect: number of connections, one user each")
	fs.IntVar(&p.Pairs, "pairs", 250, "direct: number of user pairs (one direct channel each; both users send)")
	fs.IntVar(&p.Groups, "groups", 10, "group: number of groups")
	fs.IntVar(&p.GroupSize, "group-size", 50, "group: members per group (at most 50); burst-reconnect: clients per group")
	fs.Float64Var(&p.Senders, "senders", 0.2, "group: share of each group's members that send (0..1]")
	fs.IntVar(&p.ChannelSenders, "channel-senders", 0, "direct, group: members of each channel that send (0: both members of a pair; a group's -senders share)")
	fs.Float64Var(&p.Rate, "rate", 1000, "direct, group, burst-reconnect: target messages per second over all senders")
	fs.BoolVar(&p.MarkRead, "mark-read", false, "direct, group: every receiver sends mark_read for every message it receives (read receipts)")
	fs.IntVar(&p.BodySize, "body-size", 64, "message body size in characters (a send timestamp plus padding)")
	fs.DurationVar(&p.Duration, "duration", 10*time.Second, "length of the measured phase")
	fs.DurationVar(&p.Heartbeat, "heartbeat", 10*time.Second, "idle: heartbeat interval of each connection")
	fs.BoolVar(&p.WSPing, "ws-ping", false, "idle: each connection also sends a WebSocket ping every heartbeat interval, half an interval after its heartbeat, and waits for the pong (clients such as Python's websockets ping on their own)")
	fs.IntVar(&p.Toggles, "toggles", 50, "presence: users that toggle online/offline (each with a partner that watches)")
	fs.IntVar(&p.InFlight, "inflight", 4, "presence: heartbeats each connection keeps in flight (sent back to back)")
	fs.DurationVar(&p.Down, "down", 2*time.Second, "burst-reconnect: how long the clients stay disconnected while others send")
	fs.DurationVar(&p.Drain, "drain", 15*time.Second, "bound on the wait for replies and the tail of deliveries after the send phase")
	fs.IntVar(&p.Procs, "procs", 0, "client processes (0: one per -conns-per-proc connections)")
	fs.IntVar(&p.ConnsPerProc, "conns-per-proc", 6000, "connections per client process; every process here may hold at most 20,000 open files")
	fs.StringVar(&p.SourceBase, "source-base", "127.0.1.10", "first local source address; the next one every -source-every connections (empty: no rotation)")
	fs.IntVar(&p.SourceEvery, "source-every", 2000, "connections per source address")
	fs.IntVar(&p.ConnectConcurrency, "connect-concurrency", 256, "WebSocket dials in flight per process")
	fs.IntVar(&p.AdminConcurrency, "admin-concurrency", 16, "admin API requests in flight per process")
	fs.StringVar(&p.JSONFile, "json", "", "also write the report as JSON to this file")
	fs.StringVar(&p.CPUProfile, "cpuprofile", "", "write a CPU profile of this process (not of worker processes) to this file, to see what the load generator spends")
	fs.BoolVar(&p.Verbose, "v", false, "log progress")
}

// validate checks the flags that every scenario shares; each scenario
// checks its own sizes.
func (p *Params) validate() error {
	u, err := url.Parse(p.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-url %q must be an http(s) base URL like http://127.0.0.1:8080", p.URL)
	}
	if p.AdminToken == "" {
		return fmt.Errorf("-admin-token (or CHAT_ADMIN_TOKEN) is required: users are created through the admin API")
	}
	if _, ok := scenarios[p.Scenario]; !ok {
		return fmt.Errorf("-scenario %q is not one of %s", p.Scenario, scenarioNames())
	}
	if p.Duration <= 0 || p.Drain <= 0 {
		return fmt.Errorf("-duration and -drain must be positive")
	}
	if p.ConnsPerProc < 1 || p.ConnectConcurrency < 1 || p.AdminConcurrency < 1 || p.Procs < 0 {
		return fmt.Errorf("-conns-per-proc, -connect-concurrency and -admin-concurrency must be at least 1, -procs at least 0")
	}
	if p.BodySize < 1 || p.BodySize > 1000 {
		return fmt.Errorf("-body-size must be 1 to 1000 characters (the protocol's limit)")
	}
	if _, err := newSourcePlan(p.SourceBase, p.SourceEvery); err != nil {
		return err
	}
	return scenarios[p.Scenario].validate(p)
}

package config

import (
	"fmt"
	"time"
)

// Presence is the crash-cleanup side of presence: how often a gateway node
// records that it is alive, how long a silent node is given before its
// users are marked offline, and how often the sweeper looks. The protocol
// promises that the users of a dead node are offline within 10 minutes, so
// NodeGrace + SweepInterval may not exceed that.
type Presence struct {
	// NodeHeartbeatInterval is how often a node refreshes its liveness row
	// (CHAT_NODE_HEARTBEAT_INTERVAL).
	NodeHeartbeatInterval time.Duration
	// NodeGrace is how long a node may stay silent before the sweeper
	// presumes it dead (CHAT_NODE_GRACE). Keep it several heartbeat
	// intervals long, and at least the presence timeout, so that users who
	// reconnect elsewhere after a crash see no offline blip.
	NodeGrace time.Duration
	// SweepInterval is how often the sweeper looks for dead nodes
	// (CHAT_PRESENCE_SWEEP_INTERVAL).
	SweepInterval time.Duration
}

// Presence defaults: a crashed node's users are offline 60 to 90 s later.
const (
	defaultNodeHeartbeatInterval = 5 * time.Second
	defaultNodeGrace             = time.Minute
	defaultSweepInterval         = 30 * time.Second
	maxCrashCleanup              = 10 * time.Minute
)

// loadPresence reads CHAT_NODE_HEARTBEAT_INTERVAL, CHAT_NODE_GRACE and
// CHAT_PRESENCE_SWEEP_INTERVAL.
func loadPresence(getenv func(string) string) (Presence, error) {
	var p Presence
	var err error
	if p.NodeHeartbeatInterval, err = duration(getenv, "CHAT_NODE_HEARTBEAT_INTERVAL", defaultNodeHeartbeatInterval); err != nil {
		return Presence{}, err
	}
	if p.NodeGrace, err = duration(getenv, "CHAT_NODE_GRACE", defaultNodeGrace); err != nil {
		return Presence{}, err
	}
	if p.SweepInterval, err = duration(getenv, "CHAT_PRESENCE_SWEEP_INTERVAL", defaultSweepInterval); err != nil {
		return Presence{}, err
	}
	if p.NodeGrace < 2*p.NodeHeartbeatInterval {
		return Presence{}, fmt.Errorf("CHAT_NODE_GRACE (%v) must be at least twice CHAT_NODE_HEARTBEAT_INTERVAL (%v), or live nodes look dead",
			p.NodeGrace, p.NodeHeartbeatInterval)
	}
	if p.NodeGrace+p.SweepInterval > maxCrashCleanup {
		return Presence{}, fmt.Errorf("CHAT_NODE_GRACE + CHAT_PRESENCE_SWEEP_INTERVAL (%v) must not exceed %v, the protocol's bound on crash cleanup",
			p.NodeGrace+p.SweepInterval, maxCrashCleanup)
	}
	return p, nil
}

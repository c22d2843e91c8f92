package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/chatd/chat/application/admin"
)

// Config is what the membership needs to know about this node and etcd.
type Config struct {
	Self          Member
	EtcdEndpoints []string // empty: a ring of this node alone
	Prefix        string   // key prefix shared by the nodes of one ring
	VirtualNodes  int      // ring points per unit of weight
	LeaseTTL      time.Duration
	// Grace is how long a user's old owner keeps the user's connections
	// after a ring change moved the user (see handover).
	Grace time.Duration
}

// Defaults for the zero fields of Config.
const (
	DefaultPrefix   = "/chatd/nodes/"
	DefaultLeaseTTL = 10 * time.Second
)

// errNotRegistered is reported by Ping while the node's own key is gone
// from etcd (its lease expired during an outage): other nodes no longer
// route users here until it registers again.
var errNotRegistered = errors.New("this node is not registered in etcd")

// Membership holds the current View and, in a cluster, keeps it in step
// with etcd. Owner, Nodes and Ping are safe for concurrent use.
type Membership struct {
	cfg    Config
	log    *slog.Logger
	view   atomic.Pointer[View]
	client *clientv3.Client // nil without etcd
	// previous are the views recent changes replaced, for routing events
	// to old owners during a migration.
	previous handover

	runCtx    context.Context // the background loops' context
	stop      context.CancelFunc
	once      sync.Once      // Close runs once
	loops     sync.WaitGroup // the watch and, once announced, the lease keeper
	announced atomic.Bool
	lease     atomic.Int64 // the current lease id, for Close to revoke
	changes   atomic.Int64 // ring rebuilds after the first view, for metrics
}

// Start builds the membership. Without etcd endpoints it returns a ring of
// the node alone. With them it reads the members and starts keeping the
// view current in the background until Close; it fails when etcd cannot be
// reached at start, since a node nobody can find should not serve. The
// node itself joins the ring only with Announce, once it can take
// connections.
func Start(ctx context.Context, cfg Config, log *slog.Logger) (*Membership, error) {
	if log == nil {
		log = slog.Default()
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if cfg.LeaseTTL < time.Second {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	m := &Membership{cfg: cfg, log: log, previous: handover{window: cfg.Grace + handoverMargin}}
	if len(cfg.EtcdEndpoints) == 0 {
		// A ring of one node needs only one point on it: it owns
		// everything whatever the count.
		view, err := newView(map[string]Member{cfg.Self.NodeID: cfg.Self}, 1)
		if err != nil {
			return nil, err
		}
		m.view.Store(view)
		return m, nil
	}
	client, err := newClient(cfg.EtcdEndpoints)
	if err != nil {
		return nil, err
	}
	m.client = client
	// The background loops outlive the start-up context.
	m.runCtx, m.stop = context.WithCancel(context.WithoutCancel(ctx))
	rev, err := m.resync(ctx)
	if err != nil {
		m.stop()
		client.Close()
		return nil, err
	}
	m.loops.Add(1)
	go func() {
		defer m.loops.Done()
		m.watch(m.runCtx, rev)
	}()
	return m, nil
}

// Announce registers this node under a lease it keeps alive until Close,
// so that the other nodes route users and events here. The caller does it
// once its listener is open: a node announced earlier would get events it
// cannot take yet. Without etcd it does nothing.
func (m *Membership) Announce(context.Context) error {
	if m.client == nil {
		return nil
	}
	// The lease lives as long as the background loops, not as ctx.
	keepAlive, err := m.register(m.runCtx)
	if err != nil {
		return err
	}
	m.announced.Store(true)
	m.loops.Add(1)
	go func() {
		defer m.loops.Done()
		m.keepRegistered(m.runCtx, keepAlive)
	}()
	return nil
}

// View returns the current snapshot.
func (m *Membership) View() *View { return m.view.Load() }

// OwnerOf names the node that owns userID and its WebSocket URL. The URL is
// empty for a single node that advertises none, which callers read as
// "here, at the address the client used". An empty ring (this node lost
// its own registration and saw no other) falls back to this node.
func (m *Membership) OwnerOf(userID string) (nodeID, wsURL string) {
	if owner, ok := m.View().Owner(userID); ok {
		return owner.NodeID, owner.WSURL
	}
	return m.cfg.Self.NodeID, m.cfg.Self.WSURL
}

// Nodes reports the ring for the admin API: each member with its weight,
// virtual nodes and share of the hash space, ordered by id.
func (m *Membership) Nodes(context.Context) ([]admin.Node, error) {
	view := m.View()
	shares := view.Ring.Shares()
	nodes := make([]admin.Node, 0, len(view.Members))
	for _, n := range view.Ring.Nodes() {
		member := view.Members[n.ID]
		nodes = append(nodes, admin.Node{
			ID:           n.ID,
			URL:          member.WSURL,
			Self:         n.ID == m.cfg.Self.NodeID,
			Weight:       n.Weight,
			VirtualNodes: n.Weight * view.Ring.VirtualNodes(),
			Share:        shares[n.ID],
		})
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].ID < nodes[j].ID })
	return nodes, nil
}

// Ping is the readiness check: nil without etcd; in a cluster, an error
// while etcd is unreachable or this node's registration is gone. The node
// keeps serving on its last ring meanwhile; readiness only tells the load
// balancer to send new clients elsewhere.
func (m *Membership) Ping(ctx context.Context) error {
	if m.client == nil {
		return nil
	}
	resp, err := m.client.Get(ctx, m.key(), clientv3.WithCountOnly())
	if err != nil {
		return fmt.Errorf("etcd unreachable, serving with the last ring of %d nodes: %w", len(m.View().Members), err)
	}
	if resp.Count == 0 {
		return errNotRegistered
	}
	return nil
}

// Leave is Close: a node that drains leaves the ring before it closes its
// clients, so none of them is sent back to it.
func (m *Membership) Leave() { m.Close() }

// Close leaves the ring (revoking the lease, so the other nodes drop this
// one at once instead of after the lease TTL) and stops watching.
// Calling it again does nothing.
func (m *Membership) Close() {
	if m.client == nil {
		return
	}
	m.once.Do(func() {
		m.stop()
		m.loops.Wait()
		if m.announced.Load() {
			m.revoke()
		}
		if err := m.client.Close(); err != nil && !errors.Is(err, context.Canceled) {
			m.log.Warn("close etcd client", "err", err)
		}
	})
}

func (m *Membership) key() string { return m.cfg.Prefix + m.cfg.Self.NodeID }

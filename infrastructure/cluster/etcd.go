package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/chatd/chat/retry"
)

// etcdCallTimeout bounds one request to etcd (grant, put, get, revoke).
const etcdCallTimeout = 5 * time.Second

// etcdBackoff spaces the attempts to re-register or to resume the watch
// while etcd is unreachable.
var etcdBackoff = retry.Backoff{Min: 250 * time.Millisecond, Max: 2 * time.Second}

func newClient(endpoints []string) (*clientv3.Client, error) {
	client, err := clientv3.New(clientv3.Config{
		Endpoints:            endpoints,
		DialTimeout:          etcdCallTimeout,
		DialKeepAliveTime:    5 * time.Second,
		DialKeepAliveTimeout: 2 * time.Second,
		Logger:               zap.NewNop(), // failures reach our log through returned errors
	})
	if err != nil {
		return nil, fmt.Errorf("etcd client for %v: %w", endpoints, err)
	}
	return client, nil
}

// register writes this node's key under a fresh lease and starts keeping
// the lease alive for as long as ctx lives. The returned channel closes
// when the lease is lost (expired while etcd was unreachable) or ctx ends.
func (m *Membership) register(ctx context.Context) (<-chan *clientv3.LeaseKeepAliveResponse, error) {
	value, err := m.cfg.Self.encode()
	if err != nil {
		return nil, err
	}
	callCtx, cancel := context.WithTimeout(ctx, etcdCallTimeout)
	defer cancel()
	lease, err := m.client.Grant(callCtx, int64(m.cfg.LeaseTTL/time.Second))
	if err != nil {
		return nil, fmt.Errorf("grant etcd lease: %w", err)
	}
	if _, err := m.client.Put(callCtx, m.key(), value, clientv3.WithLease(lease.ID)); err != nil {
		return nil, fmt.Errorf("register %s in etcd: %w", m.key(), err)
	}
	m.lease.Store(int64(lease.ID))
	keepAlive, err := m.client.KeepAlive(ctx, lease.ID)
	if err != nil {
		return nil, fmt.Errorf("keep etcd lease alive: %w", err)
	}
	return keepAlive, nil
}

// revoke drops this node's lease and so its key.
func (m *Membership) revoke() {
	ctx, cancel := context.WithTimeout(context.Background(), etcdCallTimeout)
	defer cancel()
	if _, err := m.client.Revoke(ctx, clientv3.LeaseID(m.lease.Load())); err != nil {
		m.log.Warn("leave the ring: revoke etcd lease", "node", m.cfg.Self.NodeID, "err", err)
	}
}

// resync reads every registration and replaces the view; it returns the
// revision the watch continues from.
func (m *Membership) resync(ctx context.Context) (int64, error) {
	callCtx, cancel := context.WithTimeout(ctx, etcdCallTimeout)
	defer cancel()
	resp, err := m.client.Get(callCtx, m.cfg.Prefix, clientv3.WithPrefix())
	if err != nil {
		return 0, fmt.Errorf("read members under %s: %w", m.cfg.Prefix, err)
	}
	members := make(map[string]Member, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		member, err := decodeMember(kv.Value)
		if err != nil {
			m.log.WarnContext(ctx, "ignoring a bad ring registration", "key", string(kv.Key), "err", err)
			continue
		}
		members[member.NodeID] = member
	}
	if err := m.swap(members); err != nil {
		return 0, err
	}
	return resp.Header.Revision, nil
}

// keepRegistered renews the lease, and registers again when it was lost,
// until ctx ends. While etcd is unreachable the node keeps its last view:
// it goes on serving its users, and the readiness check says the ring may
// be stale.
func (m *Membership) keepRegistered(ctx context.Context, keepAlive <-chan *clientv3.LeaseKeepAliveResponse) {
	for {
		for range keepAlive {
		}
		if ctx.Err() != nil {
			return
		}
		m.log.Warn("lost the etcd lease; serving with the last ring until registered again",
			"node", m.cfg.Self.NodeID, "nodes", len(m.View().Members))
		edge := retry.NewEdge(m.log.With("node", m.cfg.Self.NodeID), slog.LevelWarn, "registering in etcd")
		for failures := 1; ; failures++ {
			if !etcdBackoff.Wait(ctx, failures) {
				return
			}
			var err error
			if keepAlive, err = m.register(ctx); err == nil {
				edge.OK(ctx)
				m.log.Info("registered in etcd again", "node", m.cfg.Self.NodeID)
				break
			}
			edge.Fail(ctx, err)
		}
	}
}

func (m *Membership) watch(ctx context.Context, rev int64) {
	for {
		watchCtx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		events := m.client.Watch(watchCtx, m.cfg.Prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1))
		for resp := range events {
			if err := resp.Err(); err != nil {
				m.log.Warn("etcd watch failed; serving with the last ring", "nodes", len(m.View().Members), "err", err)
				break
			}
			if err := m.apply(resp.Events); err != nil {
				m.log.Error("rebuild the ring", "err", err)
			}
			rev = resp.Header.Revision
		}
		cancel()
		edge := retry.NewEdge(m.log, slog.LevelWarn, "reading the ring from etcd")
		for failures := 1; ; failures++ {
			if !etcdBackoff.Wait(ctx, failures) {
				return
			}
			var err error
			if rev, err = m.resync(ctx); err == nil {
				edge.OK(ctx)
				break
			}
			edge.Fail(ctx, err, slog.Int("nodes", len(m.View().Members)))
		}
	}
}

// apply turns watch events into a new view.
func (m *Membership) apply(events []*clientv3.Event) error {
	members := make(map[string]Member, len(m.View().Members)+1)
	for id, member := range m.View().Members {
		members[id] = member
	}
	for _, ev := range events {
		switch ev.Type {
		case clientv3.EventTypePut:
			member, err := decodeMember(ev.Kv.Value)
			if err != nil {
				m.log.Warn("ignoring a bad ring registration", "key", string(ev.Kv.Key), "err", err)
				continue
			}
			members[member.NodeID] = member
		case clientv3.EventTypeDelete:
			delete(members, strings.TrimPrefix(string(ev.Kv.Key), m.cfg.Prefix))
		}
	}
	return m.swap(members)
}

// swap installs a view of members and wakes those waiting on the old one.
func (m *Membership) swap(members map[string]Member) error {
	view, err := newView(members, m.cfg.VirtualNodes)
	if err != nil {
		return err
	}
	if old := m.view.Swap(view); old != nil {
		m.previous.replaced(old, time.Now())
		close(old.changed)
		m.changes.Add(1)
	}
	m.log.Info("ring rebuilt", "node", m.cfg.Self.NodeID, "nodes", len(members))
	return nil
}

package wsconn

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"syscall"
)

// poller watches the sockets of idle connections, so that an idle
// connection needs no goroutine at all: a goroutine parked in a read kept a
// stack of 4 KB per connection, the largest part of its memory. A Conn
// whose read buffers are empty parks (reader.go): it arms its socket here
// and its reader ends. When the socket becomes readable (a frame, a close,
// EOF or an error), the poller has a pool worker read it.
//
// One epoll instance serves every Conn. Each socket is armed one-shot and
// level-triggered: an event disarms it, so exactly one reader runs per
// readiness, and bytes that arrived before the arming are reported at once,
// so none are missed between a reader's last read and its parking. The
// kernel drops a socket from the set when it is closed, so a closed
// connection needs no unregistering; a stale event (the socket closed after
// the event was queued) finds its token gone and is ignored. Tokens, not
// file descriptors, name connections in events, because a closed
// descriptor's number is reused at once.
type poller struct {
	fd int
	// file is fd in the runtime's own poller, where run waits for
	// events as a goroutine waits for a socket, instead of holding a
	// thread in epoll_wait.
	file *os.File

	mu    sync.Mutex
	conns map[uint64]*Conn
	next  uint64
}

// idlePoller is the process's poller, made on first use; nil when epoll is
// not available, and connections then read in a goroutine of their own.
var (
	idlePollerOnce sync.Once
	idlePoller     *poller
)

func sharedPoller() *poller {
	idlePollerOnce.Do(func() {
		p, err := newPoller()
		if err != nil {
			slog.Error("epoll unavailable; idle connections keep a reader goroutine each", "err", err)
			return
		}
		idlePoller = p
		go p.run()
	})
	return idlePoller
}

func newPoller() (*poller, error) {
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		_ = syscall.Close(fd)
		return nil, fmt.Errorf("epoll descriptor non-blocking: %w", err)
	}
	// A non-blocking descriptor goes into the runtime's poller; an epoll
	// descriptor is readable while events wait.
	return &poller{fd: fd, file: os.NewFile(uintptr(fd), "epoll"), conns: make(map[uint64]*Conn)}, nil
}

// add gives c a token; its socket is armed by arm, when it first parks.
func (p *poller) add(c *Conn) uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next++
	p.conns[p.next] = c
	return p.next
}

// remove forgets a token; events still queued for it are ignored.
func (p *poller) remove(token uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, token)
}

// pollEvents are the readiness kinds that wake a parked connection: data,
// the peer's FIN, and errors (EPOLLERR and EPOLLHUP are always reported).
const pollEvents = syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT

// arm watches raw's socket for the next readiness under token. first says
// whether the socket was never armed (added) or is re-armed (modified).
// It runs inside raw.Control, which holds the descriptor open, so the
// number cannot name another socket meanwhile; on a closed connection it
// fails.
func (p *poller) arm(raw syscall.RawConn, token uint64, first bool) error {
	op := syscall.EPOLL_CTL_MOD
	if first {
		op = syscall.EPOLL_CTL_ADD
	}
	ev := syscall.EpollEvent{Events: pollEvents, Fd: int32(uint32(token)), Pad: int32(uint32(token >> 32))}
	var ctlErr error
	if err := raw.Control(func(fd uintptr) {
		ctlErr = syscall.EpollCtl(p.fd, op, int(fd), &ev)
	}); err != nil {
		return err
	}
	if ctlErr != nil {
		return fmt.Errorf("epoll_ctl: %w", ctlErr)
	}
	return nil
}

// run waits for readiness and hands each ready connection to a pool
// worker. It takes events without waiting (epoll_wait with timeout 0)
// until none are left, then parks in the runtime's poller until the epoll
// descriptor is readable again: events that came after the last take make
// it so.
func (p *poller) run() {
	raw, err := p.file.SyscallConn()
	if err != nil {
		slog.Error("epoll descriptor unusable; parked connections stay parked", "err", err)
		return
	}
	events := make([]syscall.EpollEvent, 256)
	var waitErr error
	err = raw.Read(func(uintptr) bool {
		for {
			n, err := syscall.EpollWait(p.fd, events, 0)
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			if err != nil {
				waitErr = err
				return true
			}
			p.dispatch(events[:n])
			if n < len(events) {
				return false
			}
		}
	})
	// Parked connections can no longer be woken; nothing but a broken
	// epoll descriptor gets here.
	slog.Error("epoll_wait failed; parked connections stay parked", "err", errors.Join(err, waitErr))
}

func (p *poller) dispatch(events []syscall.EpollEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range events {
		token := uint64(uint32(events[i].Fd)) | uint64(uint32(events[i].Pad))<<32
		if c := p.conns[token]; c != nil {
			commandWorkers.run(c.wake)
		}
	}
}

//go:build !linux

package wsconn

import (
	"errors"
	"syscall"
)

// poller is epoll's (poll_linux.go); elsewhere there is none, and every
// connection reads in a goroutine of its own.
type poller struct{}

func sharedPoller() *poller { return nil }

func (p *poller) add(*Conn) uint64 { return 0 }

func (p *poller) remove(uint64) {}

func (p *poller) arm(syscall.RawConn, uint64, bool) error {
	return errors.New("no poller on this system")
}

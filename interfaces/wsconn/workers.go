package wsconn

import "time"

// workerPool runs functions on goroutines that outlive one call. It is
// where connections read and run their commands (reader.go says why). A goroutine's stack grows by being copied, which cost about
// 3 µs per command (a sixth of chatd's CPU in a heartbeat benchmark) when
// every command started a goroutine of its own: encoding a reply takes the
// stack past the 4 KB a new goroutine starts with. A pool worker keeps its
// grown stack from one command to the next, and ends after idle without
// work, so that the workers of a burst do not keep their stacks for good.
type workerPool struct {
	work chan func() // unbuffered: a send succeeds only when a worker waits
	idle time.Duration
}

func newWorkerPool(idle time.Duration) *workerPool {
	return &workerPool{work: make(chan func()), idle: idle}
}

// commandWorkers runs the commands of every connection. There are about as
// many workers as commands in flight, not as connections.
var commandWorkers = newWorkerPool(5 * time.Second)

// Go runs f on a pool worker, for work of a connection's commands that
// outlives the handler call (pipelined commands): a goroutine of its own
// would grow its stack by copying, as above.
func Go(f func()) { commandWorkers.run(f) }

// run runs f on a waiting worker, or on a new one when none waits. It never
// waits for a worker, so a command that blocks holds up no other.
func (p *workerPool) run(f func()) {
	select {
	case p.work <- f:
	default:
		go p.worker(f)
	}
}

func (p *workerPool) worker(f func()) {
	idle := time.NewTimer(p.idle)
	defer idle.Stop()
	for {
		f()
		idle.Reset(p.idle)
		select {
		case f = <-p.work:
		case <-idle.C:
			return
		}
	}
}

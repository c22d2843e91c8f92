package wsconn

import (
	"context"
	"sync"

	"github.com/coder/websocket"
)

// batchJob is one hand-over of a Conn's commands from a reader goroutine
// of its own (no poller, reader.go) to a pool worker (handleBatch). Jobs are pooled with their function
// bound once: a closure per hand-over, with the WaitGroup and the error it
// captured, cost three heap allocations per read, about 3% of chatd's CPU
// per heartbeat.
type batchJob struct {
	ctx    context.Context
	c      *Conn
	handle Handler
	typ    websocket.MessageType
	data   []byte
	buf    *readBuffer
	err    error

	done sync.WaitGroup
	run  func() // j.work, bound once
}

var batchJobs = sync.Pool{New: func() any {
	j := &batchJob{}
	j.run = j.work
	return j
}}

func (j *batchJob) work() {
	defer j.done.Done()
	j.err = j.c.handleBatch(j.ctx, j.handle, j.typ, j.data, j.buf)
}

// runBatch has a pool worker run handleBatch and waits for it.
func runBatch(ctx context.Context, c *Conn, handle Handler, typ websocket.MessageType, data []byte, buf *readBuffer) error {
	j := batchJobs.Get().(*batchJob)
	j.ctx, j.c, j.handle, j.typ, j.data, j.buf = ctx, c, handle, typ, data, buf
	j.done.Add(1)
	commandWorkers.run(j.run)
	j.done.Wait()
	err := j.err
	j.ctx, j.c, j.handle, j.data, j.buf, j.err = nil, nil, nil, nil, nil, nil
	batchJobs.Put(j)
	return err
}

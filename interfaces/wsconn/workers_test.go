package wsconn

import (
	"sync"
	"testing"
	"time"
)

func TestWorkerPoolNeverMakesACallWaitForABlockedOne(t *testing.T) {
	t.Parallel()
	pool := newWorkerPool(time.Minute)
	const calls = 50
	var started, finished sync.WaitGroup
	release := make(chan struct{})
	started.Add(calls)
	finished.Add(calls)
	for range calls {
		pool.run(func() {
			defer finished.Done()
			started.Done()
			<-release // every call blocks until all of them have started
		})
	}
	started.Wait()
	close(release)
	finished.Wait()

	// The workers are free again and take new calls, in any number.
	var again sync.WaitGroup
	again.Add(calls)
	for range calls {
		pool.run(again.Done)
	}
	again.Wait()
}

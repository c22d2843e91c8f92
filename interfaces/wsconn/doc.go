// Package wsconn is the server side of a WebSocket connection built for
// many mostly idle connections and bursts of small frames: a bounded
// outgoing queue written by a flusher goroutine that exists only while
// frames wait, every queued frame of a round sent with one write(2)
// (cork.go), an idle socket parked in epoll instead of a goroutine
// (reader.go, poll_linux.go), client messages read into pooled buffers
// (read.go) through a read-ahead that holds no buffer while idle
// (readahead.go), and commands run on a pool of workers (workers.go),
// several pipelined ones per hand-over with their replies written together
// (batch.go).
//
// It sits on coder/websocket, which frames and masks, and reaches under it
// only through the hijacked connection: Upgrade replaces net/http's 4 KB
// buffers by small ones over its own net.Conn.
//
// The API, in the order of a connection's life:
//
//	c := wsconn.New(queueBound)  // frames and a close may be queued already
//	err := c.Upgrade(w, r, wsconn.Options{...})
//	c.Start(handler, ended)      // returns at once; ended runs once closed
//	c.Enqueue(frame)             // from anywhere, never blocks
//	c.Close(code, reason)        // from anywhere, the first code wins
//
// A Conn knows nothing of what its frames mean; the chat gateway
// (interfaces/ws) does.
package wsconn

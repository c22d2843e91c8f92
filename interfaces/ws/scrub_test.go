package ws

import "github.com/chatd/chat/interfaces/wsconn"

// Every test of this package runs with scrubbed read buffers, so a frame
// handler that keeps data past its call fails here rather than in
// production under load.
func init() { wsconn.ScrubReadBuffers() }

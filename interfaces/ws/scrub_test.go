package ws

// Every test of this package runs with scrubbed read buffers, so a frame
// handler that keeps data past its call fails here rather than in
// production under load.
func init() { scrubReadBuffers = true }

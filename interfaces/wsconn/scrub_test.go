package wsconn

// Every test of this package runs with scrubbed read buffers, so a handler
// that keeps data past its call fails here rather than in production under
// load.
func init() { ScrubReadBuffers() }

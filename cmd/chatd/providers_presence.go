package main

import "github.com/google/wire"

// presenceSet provides the presence feature's adapters.
var presenceSet = wire.NewSet(
	providePresenceWorkers,
)

// presenceWorkers are presence's background loops (the sweeper).
type presenceWorkers []namedWorker

func providePresenceWorkers() presenceWorkers { return nil }

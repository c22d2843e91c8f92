package main

import "github.com/google/wire"

// kafkaSet provides the kafka feature's adapters.
var kafkaSet = wire.NewSet(
	provideKafkaWorkers,
)

// kafkaWorkers are the broker's background loops.
type kafkaWorkers []namedWorker

func provideKafkaWorkers() kafkaWorkers { return nil }

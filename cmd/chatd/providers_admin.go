package main

import "github.com/google/wire"

// adminSet provides the admin feature's adapters.
var adminSet = wire.NewSet()

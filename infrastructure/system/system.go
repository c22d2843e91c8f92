// Package system adapts the process's own resources, the wall clock and a
// random source for ids, to the ports the use cases declare, so tests can
// replace both.
package system

import (
	"time"

	"github.com/google/uuid"
)

// Clock is the wall clock.
type Clock struct{}

// Now returns the current time.
func (Clock) Now() time.Time { return time.Now() }

// UUIDs makes random (version 4) UUID strings.
type UUIDs struct{}

// NewID returns a new random UUID.
func (UUIDs) NewID() string { return uuid.NewString() }

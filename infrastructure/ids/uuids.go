// Package ids makes the random ids the use cases ask for through their
// ID-generator ports, so their tests can make predictable ones instead.
package ids

import "github.com/google/uuid"

// UUIDs makes random (version 4) UUID strings.
type UUIDs struct{}

// NewID returns a new random UUID.
func (UUIDs) NewID() string { return uuid.NewString() }

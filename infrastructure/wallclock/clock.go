// Package wallclock is the process's wall clock behind the Clock ports the
// use cases declare, so their tests can put a fake clock in its place.
package wallclock

import "time"

// Clock is the wall clock.
type Clock struct{}

// Now returns the current time.
func (Clock) Now() time.Time { return time.Now() }

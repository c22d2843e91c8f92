// Package identity holds the use cases of users and their credentials:
// create a user, mint a token for it, and turn a presented token back into
// a user that exists.
package identity

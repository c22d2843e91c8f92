// Package protocol is the public wire contract of the WebSocket API in one
// place: frame and payload types with their JSON names, the strict frame
// decoder, the error codes with their HTTP statuses, and the close codes.
//
// Everything here is tested from outside over real sockets, so a change to
// a JSON tag or a code is a breaking change for every client. The rules
// below, which docs/protocol.md states for client authors, are settled
// here and documented on the names that implement them:
//
//   - Unknown fields, in the envelope or in a payload, are refused with
//     bad_request. A misspelled optional field (say "beforSeq") would
//     otherwise be ignored silently and change the meaning of the command.
//   - Field names match exactly, case included, and a field may appear only
//     once in an object.
//   - null counts as absent for optional fields and as missing for required
//     ones.
//   - Numbers such as afterSeq and limit must be JSON integers (no fraction,
//     no exponent) that fit in 64 bits; their ranges are domain rules and
//     fail with validation_failed, not here.
package protocol

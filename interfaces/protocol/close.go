package protocol

// CloseCode is the status the server puts in a WebSocket close frame. Each
// code tells the client whether to reconnect:
//
//	code  name             client action
//	1000  normal           done; reconnect only if the user wants to
//	1002  protocol error   stop: the client broke RFC 6455 (an unmasked
//	                       frame, reserved bits, a bad control frame); fix
//	                       the client
//	1007  invalid payload  stop: a text frame was not valid UTF-8; fix the
//	                       client, do not resend the same frame
//	1009  message too big  stop: a frame exceeded MaxFrameBytes; fix the
//	                       client, do not resend the same frame
//	1011  internal error   reconnect with backoff: the server failed to set
//	                       up the connection
//	1012  service restart  reconnect (with backoff), then catch up with
//	                       get_messages from the last seq of each channel;
//	                       sent on graceful shutdown
//	4001  unauthorized     stop: the token is invalid or expired; get a new
//	                       token before connecting again
//	4008  slow consumer    reconnect, then catch up with get_messages: the
//	                       connection's outgoing queue overflowed, so events
//	                       were dropped
//	4009  session timeout  reconnect, then catch up with get_messages: no
//	                       frame came from the client for 3 heartbeat
//	                       intervals, or a frame stalled half sent
//	4010  wrong node       reconnect to the URL in the reason (the owner's
//	                       WebSocket URL; empty when longer than 123 bytes),
//	                       or to the node GET /v1/gateway names, then catch
//	                       up with get_messages; sent at connect, and after
//	                       a ring change moved the user elsewhere
type CloseCode int

// The close codes of the protocol; see the table on CloseCode.
const (
	CloseNormal         CloseCode = 1000
	CloseProtocolError  CloseCode = 1002
	CloseInvalidPayload CloseCode = 1007
	CloseMessageTooBig  CloseCode = 1009
	CloseInternalError  CloseCode = 1011
	CloseServiceRestart CloseCode = 1012
	CloseUnauthorized   CloseCode = 4001
	CloseSlowConsumer   CloseCode = 4008
	CloseSessionTimeout CloseCode = 4009
	CloseWrongNode      CloseCode = 4010
)

// Reconnect reports whether a client that receives code should connect
// again on its own. Codes outside the table (a dropped TCP connection shows
// up as 1006) also mean reconnect with backoff: the fault was not the
// client's.
func (c CloseCode) Reconnect() bool {
	switch c {
	case CloseNormal, CloseProtocolError, CloseInvalidPayload, CloseMessageTooBig, CloseUnauthorized:
		return false
	}
	return true
}

// MaxFrameBytes is the largest text frame a client may send; a bigger one
// closes the connection with CloseMessageTooBig.
const MaxFrameBytes = 16 << 10

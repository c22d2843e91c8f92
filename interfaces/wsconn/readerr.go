package wsconn

import (
	"errors"
	"io"
	"net"
	"os"

	"github.com/coder/websocket"
)

// readError is a read that ended the connection for a reason the client
// must be told with a specific close code.
type readError struct {
	code   websocket.StatusCode
	reason string
}

func (e *readError) Error() string { return e.reason }

// errInvalidUTF8 ends a connection that sent a text message that is not
// UTF-8 (RFC 6455 section 8.1). coder/websocket does not check text
// messages, so the read path does; the JSON decoder would otherwise turn
// the bad bytes into U+FFFD and store them.
var errInvalidUTF8 = &readError{code: websocket.StatusInvalidFramePayloadData, reason: "text frame is not valid UTF-8"}

// closeFor is the close code and reason for a read that ended the
// connection with err.
//
// coder/websocket closes with 1002 itself for most protocol errors (bad
// RSV bits, unknown opcodes, bad control frames) and with 1009 for a
// message over the read limit; a Close after that changes nothing. But an
// unmasked client frame only makes its read fail, with a plain error and
// no close frame, and Serve used to answer every failed read with 1000. So
// whatever is neither the client's own close nor a broken connection is a
// protocol error here: 1002.
func closeFor(err error) (websocket.StatusCode, string) {
	var re *readError
	switch {
	case errors.As(err, &re):
		return re.code, re.reason
	case websocket.CloseStatus(err) != -1, // the client closed; the library answered
		errors.Is(err, websocket.ErrMessageTooBig), // the library sent 1009
		brokenConnection(err):
		return websocket.StatusNormalClosure, ""
	default:
		return websocket.StatusProtocolError, "protocol error"
	}
}

// brokenConnection reports whether err says the connection ended under
// the WebSocket layer: the peer went away, or it was closed here.
func brokenConnection(err error) bool {
	var netErr net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.As(err, &netErr)
}

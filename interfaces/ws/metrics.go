package ws

import (
	"strconv"
	"time"

	"github.com/chatd/chat/interfaces/protocol"
)

// Metrics is what the gateway reports for monitoring
// (telemetry.GatewayMetrics). Every label it passes comes from a bounded
// set: close codes of the protocol's table or "other", HTTP statuses of
// the protocol's codes, command types the decoder knows, error codes.
type Metrics interface {
	// Connected counts an upgraded connection; Closed its end, by code.
	Connected()
	Closed(code string)
	// Refused counts a connect that ended before a session: an HTTP
	// status ("401", "403", "429", "503", ...) or "4010" for a redirect
	// to the owning node.
	Refused(reason string)
	// Command counts one client frame by command type ("invalid" when it
	// did not decode) and result ("ok" or the error code), and observes
	// how long it took to queue the reply.
	Command(typ, result string, elapsed time.Duration)
	// QueueOverflow counts a session closed because its outgoing queue
	// was full.
	QueueOverflow()
}

// noMetrics is the Metrics of a gateway built without any (tests).
type noMetrics struct{}

func (noMetrics) Connected()                            {}
func (noMetrics) Closed(string)                         {}
func (noMetrics) Refused(string)                        {}
func (noMetrics) Command(string, string, time.Duration) {}
func (noMetrics) QueueOverflow()                        {}

// closeLabel is code as a metric label: the protocol's codes and the
// transport's usual ones by number, anything else a client sent as
// "other", so a client cannot grow the label set.
func closeLabel(code protocol.CloseCode) string {
	switch code {
	case protocol.CloseNormal, protocol.CloseProtocolError, protocol.CloseInvalidPayload,
		protocol.CloseMessageTooBig, protocol.CloseInternalError, protocol.CloseServiceRestart,
		protocol.CloseUnauthorized, protocol.CloseSlowConsumer, protocol.CloseSessionTimeout,
		protocol.CloseWrongNode, 1001, 1005, 1006:
		return strconv.Itoa(int(code))
	}
	return "other"
}

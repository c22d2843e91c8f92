package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/chatd/chat/domain"
)

// DecodeError is why a frame could not be decoded. It carries the requestId
// and type when they could be read, so the error reply can echo them, and
// it unwraps to a domain error of KindBadRequest, so ErrorCode maps it to
// bad_request like any other error.
type DecodeError struct {
	RequestID string
	Type      string
	err       *domain.Error
}

func (e *DecodeError) Error() string { return e.err.Message }

// Unwrap exposes the classified error to domain.KindOf and errors.Is.
func (e *DecodeError) Unwrap() error { return e.err }

// payloadDecoders knows, for each command type, how to read its payload.
var payloadDecoders = map[string]func(json.RawMessage) (any, error){
	TypeCreateChannel: decodeCreateChannel,
	TypeSendMessage:   decodeSendMessage,
	TypeGetMessages:   decodeGetMessages,
	TypeGetChannel:    decodeGetChannel,
	TypeGetUsers:      decodeGetUsers,
	TypeJoinChannel:   decodeJoinChannel,
	TypeLeaveChannel:  decodeLeaveChannel,
	TypeHeartbeat:     decodeHeartbeat,
	TypeGetPresence:   decodeGetPresence,
	TypeMarkRead:      decodeMarkRead,
	TypeTyping:        decodeTyping,
}

var envelopeFields = map[string]bool{"type": true, "requestId": true, "payload": true}

// Decode parses one client frame strictly (see the package comment for the
// rules). Every error is a *DecodeError. Domain rules such as the length of
// a body are not checked here: they belong to the use cases, which report
// them as validation_failed.
func Decode(data []byte) (Command, error) {
	if cmd, ok := decodeHeartbeatFrame(data); ok {
		return cmd, nil
	}
	cmd, err := decode(data)
	if err == nil && hasEscapedNUL(data) {
		// A well-formed frame that carries U+0000 breaks a domain rule;
		// the reply still echoes its requestId and type.
		return Command{}, &DecodeError{RequestID: cmd.RequestID, Type: cmd.Type, err: errNUL}
	}
	return cmd, err
}

// decode is Decode's general path.
func decode(data []byte) (Command, error) {
	if !json.Valid(data) {
		return Command{}, decodeErr("", "", "frame is not valid JSON")
	}
	env, err := parseObject(data)
	if errors.Is(err, errNotObject) {
		return Command{}, decodeErr("", "", "frame must be a JSON object")
	}
	if err != nil {
		return Command{}, decodeErr("", "", "frame has "+err.Error())
	}
	typ, typeErr := readType(env)
	requestID, idErr := readRequestID(env)
	switch {
	case idErr != nil:
		return Command{}, decodeErr("", typ, idErr.Error())
	case typeErr != nil:
		return Command{}, decodeErr(requestID, typ, typeErr.Error())
	}
	if name, ok := env.unknown(envelopeFields); ok {
		return Command{}, decodeErr(requestID, typ, "frame has unknown field "+quoteShort(name))
	}
	decodePayload, ok := payloadDecoders[typ]
	if !ok {
		return Command{}, decodeErr(requestID, typ, "unknown type "+quoteShort(typ))
	}
	raw, ok := env.get("payload")
	if !ok {
		return Command{}, decodeErr(requestID, typ, "payload is required")
	}
	payload, err := decodePayload(raw)
	if err != nil {
		return Command{}, decodeErr(requestID, typ, err.Error())
	}
	return Command{Type: typ, RequestID: requestID, Payload: payload}, nil
}

// readType returns the frame's type. On error it still returns the type
// when it is a string short enough to echo in the error reply.
func readType(env object) (string, error) {
	raw, ok := env.get("type")
	if !ok {
		return "", fmt.Errorf("type is required")
	}
	var typ string
	if !decodeString(raw, &typ) {
		return "", fmt.Errorf("type must be a string")
	}
	if utf8.RuneCountInString(typ) > MaxRequestIDLength {
		return "", fmt.Errorf("unknown type %s", quoteShort(typ))
	}
	return typ, nil
}

// readRequestID returns the optional requestId; absent and null are "".
func readRequestID(env object) (string, error) {
	raw, ok := env.get("requestId")
	if !ok {
		return "", nil
	}
	var id string
	if !decodeString(raw, &id) {
		return "", fmt.Errorf("requestId must be a string")
	}
	if utf8.RuneCountInString(id) > MaxRequestIDLength {
		return "", fmt.Errorf("requestId must be at most %d characters", MaxRequestIDLength)
	}
	return id, nil
}

func decodeErr(requestID, typ, message string) *DecodeError {
	return &DecodeError{RequestID: requestID, Type: typ, err: &domain.Error{Kind: domain.KindBadRequest, Message: message}}
}

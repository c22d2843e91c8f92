package ws

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/coder/websocket"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/protocol"
	"github.com/chatd/chat/interfaces/wsconn"
)

// frames turns client frames into commands and their outcomes into reply
// frames. A frame that cannot be decoded gets a bad_request reply and the
// connection keeps reading.
type frames struct {
	commands *commands
	hub      *Hub
	log      *slog.Logger
	metrics  Metrics
}

// handle is the wsconn.Handler of a session (bound to it in Gateway.serve).
func (f *frames) handle(ctx context.Context, s *session, typ websocket.MessageType, data []byte) {
	start := time.Now()
	if typ != websocket.MessageText {
		err := domain.Errorf(domain.KindBadRequest, "frames must be JSON text messages")
		f.replyError(ctx, s, "", "", err)
		f.metrics.Command(invalidCommand, protocol.ErrorCode(err), time.Since(start))
		return
	}
	cmd, err := protocol.Decode(data)
	if err != nil {
		var de *protocol.DecodeError
		if errors.As(err, &de) {
			f.replyError(ctx, s, de.RequestID, de.Type, err)
		} else {
			f.replyError(ctx, s, "", "", err)
		}
		// The type of a frame that did not decode is whatever the client
		// wrote; it must not become a label.
		f.metrics.Command(invalidCommand, protocol.ErrorCode(err), time.Since(start))
		return
	}
	if cmd.Type == protocol.TypeHeartbeat {
		// Never waits on a database: answered inline, in frame order.
		f.run(ctx, s, cmd, nil, start)
		return
	}
	if !s.pipe.admit() {
		f.reply(ctx, s, cmd, "", nil, errTooManyInFlight, start)
		return
	}
	var prev <-chan struct{}
	var ordered func()
	if p, ok := cmd.Payload.(protocol.SendMessage); ok {
		prev, ordered = s.pipe.chain(p.ChannelID)
	}
	wsconn.Go(func() { f.runPipelined(ctx, s, cmd, prev, ordered, start) })
}

// runPipelined runs one admitted command on a pooled goroutine, after the
// connection's earlier send to the same channel (prev) holds its place.
func (f *frames) runPipelined(ctx context.Context, s *session, cmd protocol.Command, prev <-chan struct{}, ordered func(), start time.Time) {
	defer s.pipe.finished()
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	replyType, payload, err := "", any(nil), error(nil)
	if prev != nil {
		select {
		case <-prev:
		case <-ctx.Done():
			err = domain.Overloaded(inFlightRetryAfter, "the connection's earlier sends to this channel are still waiting; retry with the same ids")
		}
	}
	if err == nil {
		replyType, payload, err = f.commands.run(ctx, s, cmd, ordered)
	}
	if ordered != nil {
		ordered() // a send that failed before taking its place frees the next
	}
	s.pipe.release()
	f.reply(ctx, s, cmd, replyType, payload, err, start)
}

// run executes cmd and queues its reply.
func (f *frames) run(ctx context.Context, s *session, cmd protocol.Command, ordered func(), start time.Time) {
	replyType, payload, err := f.commands.run(ctx, s, cmd, ordered)
	f.reply(ctx, s, cmd, replyType, payload, err, start)
}

// reply queues the reply to cmd, its result or the error, and counts the
// command with its duration from its frame's arrival (start).
func (f *frames) reply(ctx context.Context, s *session, cmd protocol.Command, replyType string, payload any, err error, start time.Time) {
	if err != nil {
		f.replyError(ctx, s, cmd.RequestID, cmd.Type, err)
		f.metrics.Command(cmd.Type, protocol.ErrorCode(err), time.Since(start))
		return
	}
	if replyType == "" {
		return // a command answered by silence on success (typing)
	}
	f.send(ctx, s, replyType, cmd.RequestID, payload)
	f.metrics.Command(cmd.Type, commandOK, time.Since(start))
}

// The command labels that are not a command type or an error code.
const (
	invalidCommand = "invalid"
	commandOK      = "ok"
)

// replyError answers a failed command with an error frame whose code comes
// from the one kind-to-code table. Internal errors are logged here, once,
// and reach the client only as a generic message.
func (f *frames) replyError(ctx context.Context, s *session, requestID, command string, err error) {
	code := protocol.ErrorCode(err)
	message := domain.MessageOf(err)
	if code == protocol.CodeInternal {
		message = "internal error"
		f.log.ErrorContext(ctx, "command failed", "user", s.user.ID, "session", s.id, "command", command, "requestId", requestID, "err", err)
	} else if domain.RetryAfterOf(err) > 0 {
		// A refusal for load: past saturation there are thousands a
		// second, each counted by code in the command metric; a line each
		// would take CPU the refusals exist to save.
		f.log.DebugContext(ctx, "command refused for load", "user", s.user.ID, "session", s.id, "command", command, "requestId", requestID, "err", err)
	} else if protocol.HTTPStatus(code) >= 500 {
		f.log.WarnContext(ctx, "command failed", "user", s.user.ID, "session", s.id, "command", command, "requestId", requestID, "code", code, "err", err)
	}
	f.send(ctx, s, protocol.TypeError, requestID, protocol.Error{Code: code, Message: message, Command: command,
		RetryAfterMs: domain.RetryAfterOf(err).Milliseconds()})
}

// send queues a reply. A reply that does not fit closes the session like
// any slow consumer: the client is not reading.
func (f *frames) send(ctx context.Context, s *session, typ, requestID string, payload any) {
	frame, err := protocol.Encode(typ, requestID, payload)
	if err != nil {
		f.log.ErrorContext(ctx, "encode reply", "user", s.user.ID, "session", s.id, "type", typ, "err", err)
		return
	}
	if !s.enqueueReply(frame) {
		f.hub.drop(s, protocol.CloseSlowConsumer, slowConsumerReason)
	}
}

package ws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/coder/websocket"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/origin"
	"github.com/chatd/chat/interfaces/protocol"
	"github.com/chatd/chat/interfaces/wsconn"
)

var errOriginRefused = domain.Errorf(domain.KindForbidden, "origin not allowed")

// Why track refuses a session.
var (
	errShuttingDown       = errors.New("server is shutting down; reconnect")
	errTooManyConnections = errors.New("too many connections of this user on this node; close one first")
)

const restartReason = "service restart, reconnect"

// maxCloseReason is the most a close frame's reason may hold (RFC 6455:
// 125 bytes of payload minus the 2-byte code).
const maxCloseReason = 123

// Owners tells which gateway node owns a user on the consistent hash ring
// and where that node's WebSocket is.
type Owners interface {
	OwnerOf(userID string) (nodeID, wsURL string)
}

// Gateway is the http.Handler of GET /ws. Every refusal (bad origin, bad
// token, shutdown) happens before the upgrade as a JSON HTTP error, so
// clients can tell "fix your credentials" from "try again".
type Gateway struct {
	cfg     Config
	hub     *Hub
	chat    ChatService
	auth    Authenticator
	log     *slog.Logger
	frames  *frames
	origins *origin.Policy

	mu       sync.Mutex
	closed   bool
	sessions map[*session]struct{}
	perUser  map[string]int // live sessions by user id, for the cap
	wg       sync.WaitGroup
}

// NewGateway builds the gateway. It fails on an invalid origin pattern.
func NewGateway(cfg Config, hub *Hub, chat ChatService, presence PresenceService, auth Authenticator, log *slog.Logger) (*Gateway, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("websocket gateway config: %w", err)
	}
	if log == nil {
		log = slog.Default()
	}
	return &Gateway{
		cfg:      cfg,
		hub:      hub,
		chat:     chat,
		auth:     auth,
		log:      log,
		frames:   &frames{commands: &commands{chat: chat, presence: presence, typing: typingOrNone(cfg.Typing), hub: hub}, hub: hub, log: log, metrics: cfg.Metrics},
		origins:  origin.NewPolicy(cfg.AllowedOrigins, cfg.PublicURL),
		sessions: make(map[*session]struct{}),
		perUser:  make(map[string]int),
	}, nil
}

// ServeHTTP checks origin and token, subscribes the new session, upgrades,
// sends ready and then serves the connection until it ends.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	// Before the token: a cross-site page is refused without a database
	// lookup. A request without Origin is not from a browser page.
	if !g.origins.Allowed(r.Header.Get("Origin"), r.Host) {
		g.refuse(r, w, errOriginRefused)
		return
	}
	token, err := bearerToken(r)
	if err != nil {
		g.refuse(r, w, err)
		return
	}
	user, expiresAt, err := g.auth.AuthenticateSession(ctx, token)
	if err != nil {
		g.refuse(r, w, err)
		return
	}
	if g.cfg.Owners != nil {
		if owner, url := g.cfg.Owners.OwnerOf(user.ID); owner != g.cfg.NodeID {
			g.redirect(w, r, user.ID, owner, url)
			return
		}
	}
	s := newSession(user, g.cfg.QueueSize)
	s.expiresAt = expiresAt
	if err := g.track(s); err != nil {
		code := protocol.CodeUnavailable
		if errors.Is(err, errTooManyConnections) {
			code = protocol.CodeRateLimited
		}
		respondError(w, protocol.HTTPStatus(code), httpError{Code: code, Message: err.Error()})
		g.cfg.Metrics.Refused(strconv.Itoa(protocol.HTTPStatus(code)))
		return
	}
	// Register before reading the channel list: an event committed after
	// the read is then collected by the hub instead of being lost.
	g.hub.register(s)
	channels, ok := g.upgrade(w, r, s)
	if !ok {
		g.hub.remove(s)
		g.untrack(s)
		return
	}
	g.hub.activate(s, channels, g.ready(s))
	g.cfg.Metrics.Connected()
	g.log.DebugContext(ctx, "session opened", "session", s.id, "user", user.ID, "channels", len(channels))
	// Serving returns at once, and so does this handler: net/http then
	// lets go of the request, the response, its buffers and the stack of
	// its connection goroutine, which would otherwise live as long as the
	// connection.
	g.serve(s)
}

// upgrade reads the user's channel list and upgrades the connection of a
// registered session. On failure it has answered the request.
func (g *Gateway) upgrade(w http.ResponseWriter, r *http.Request, s *session) ([]domain.Channel, bool) {
	ctx := r.Context()
	channels, err := g.chat.Channels(ctx, s.actor())
	if err != nil {
		g.refuse(r, w, fmt.Errorf("connect %s: %w", s.user.ID, err))
		return nil, false
	}
	err = s.conn.Upgrade(w, r, wsconn.Options{
		WriteTimeout: g.cfg.WriteTimeout,
		ReadLimit:    protocol.MaxFrameBytes,
		Log:          g.log,
		Peer:         s,
	})
	if err != nil {
		// Upgrade has written the HTTP error (not a WebSocket request).
		g.log.DebugContext(ctx, "websocket upgrade failed", "user", s.user.ID, "err", err)
		return nil, false
	}
	return channels, true
}

// serve serves an upgraded session: its commands run as they arrive, and
// once its connection is closed it leaves the hub and the node's count.
func (g *Gateway) serve(s *session) {
	s.conn.Start(func(ctx context.Context, typ websocket.MessageType, data []byte) {
		g.frames.handle(ctx, s, typ, data)
	}, func() { g.ended(s) })
}

// ended is the end of a session, once its connection is closed and its
// last command has run.
func (g *Gateway) ended(s *session) {
	code, _ := s.closeStatus()
	g.cfg.Metrics.Closed(closeLabel(code))
	if code == protocol.CloseSlowConsumer {
		g.cfg.Metrics.QueueOverflow()
	}
	g.log.Debug("session closed", "session", s.id, "user", s.user.ID, "code", int(code))
	g.hub.remove(s)
	g.untrack(s)
}

// refuse answers a connect that gets no session with err's HTTP error and
// counts the refusal by status.
func (g *Gateway) refuse(r *http.Request, w http.ResponseWriter, err error) {
	status := writeHTTPError(r, w, g.log, err)
	g.cfg.Metrics.Refused(strconv.Itoa(status))
}

// redirect sends a user to the node that owns it: the upgrade succeeds
// (a browser cannot read an HTTP error body on a WebSocket), then the
// connection closes at once with 4010 and the owner's URL as the reason,
// or an empty reason when the URL does not fit and the client must ask
// GET /v1/gateway. The session is never registered, so no event reaches a
// connection the ring does not route here.
func (g *Gateway) redirect(w http.ResponseWriter, r *http.Request, userID, owner, url string) {
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		InsecureSkipVerify: true, // the origin policy has decided already
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		g.log.DebugContext(r.Context(), "websocket upgrade failed", "user", userID, "err", err)
		return
	}
	g.cfg.Metrics.Refused(strconv.Itoa(int(protocol.CloseWrongNode)))
	if len(url) > maxCloseReason {
		url = ""
	}
	g.log.DebugContext(r.Context(), "wrong node; redirecting", "user", userID, "owner", owner)
	if err := conn.Close(websocket.StatusCode(protocol.CloseWrongNode), url); err != nil {
		g.log.DebugContext(r.Context(), "close redirected connection", "user", userID, "err", err)
	}
}

// ready builds the session's first frame from the channels it is
// subscribed to.
func (g *Gateway) ready(s *session) func([]domain.Channel) ([]byte, error) {
	return func(channels []domain.Channel) ([]byte, error) {
		list := make([]protocol.ReadyChannel, 0, len(channels))
		for _, ch := range channels {
			list = append(list, protocol.NewReadyChannel(ch))
		}
		return protocol.Encode(protocol.TypeReady, "", protocol.Ready{
			ProtocolVersion:     protocol.Version,
			UserID:              s.user.ID,
			SessionID:           s.id,
			NodeID:              g.cfg.NodeID,
			HeartbeatIntervalMs: g.cfg.HeartbeatInterval.Milliseconds(),
			PresenceTimeoutMs:   g.cfg.PresenceTimeout.Milliseconds(),
			Channels:            list,
		})
	}
}

// Shutdown stops accepting connections (later requests get 503), closes
// every session with 1012 so clients reconnect elsewhere, and waits for
// them to finish or for ctx. Sessions still open when ctx ends are dropped
// without a close handshake.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.mu.Lock()
	g.closed = true
	sessions := make([]*session, 0, len(g.sessions))
	for s := range g.sessions {
		sessions = append(sessions, s)
	}
	g.mu.Unlock()

	for _, s := range sessions {
		s.close(protocol.CloseServiceRestart, restartReason)
	}
	done := make(chan struct{})
	go func() {
		g.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		for _, s := range sessions {
			s.conn.Abort()
		}
		return fmt.Errorf("close %d websocket sessions: %w", len(sessions), ctx.Err())
	}
}

// track counts a new session unless shutdown has begun (errShuttingDown)
// or its user already holds MaxConnectionsPerUser sessions on this node
// (errTooManyConnections). Counting here, under the lock, before the
// upgrade, keeps concurrent connects from passing the cap together.
func (g *Gateway) track(s *session) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return errShuttingDown
	}
	if g.perUser[s.user.ID] >= g.cfg.MaxConnectionsPerUser {
		return errTooManyConnections
	}
	g.perUser[s.user.ID]++
	g.sessions[s] = struct{}{}
	g.wg.Add(1)
	return nil
}

func (g *Gateway) untrack(s *session) {
	g.mu.Lock()
	delete(g.sessions, s)
	if g.perUser[s.user.ID]--; g.perUser[s.user.ID] <= 0 {
		delete(g.perUser, s.user.ID)
	}
	g.mu.Unlock()
	g.wg.Done()
}

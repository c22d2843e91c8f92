package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/chatd/chat/infrastructure/config"
	"github.com/chatd/chat/interfaces/ws"
)

// Worker is a background loop of the process (the outbox relay, broker
// consumers, sweepers): it runs until its context ends and returns nil or
// the context's error then.
type Worker interface {
	Run(ctx context.Context) error
}

// namedWorker is a Worker with a name for logs.
type namedWorker struct {
	name   string
	worker Worker
}

// Announcer makes the node known to the others (the ring's registration
// in etcd), called once the listener is open.
type Announcer interface {
	Announce(ctx context.Context) error
}

// App is one running chatd: its listener, the WebSocket gateway and the
// background workers, started and stopped in a fixed order.
type App struct {
	cfg      config.Config
	handler  http.Handler
	gateway  *ws.Gateway
	workers  []namedWorker
	announce Announcer
	logger   *slog.Logger

	// ready receives the bound address once the listener is open; tests
	// that listen on port 0 learn the port from it.
	ready chan string
}

func newApp(cfg config.Config, handler http.Handler, gateway *ws.Gateway, workers []namedWorker, announce Announcer, logger *slog.Logger) *App {
	return &App{cfg: cfg, handler: handler, gateway: gateway, workers: workers, announce: announce, logger: logger, ready: make(chan string, 1)}
}

// Run serves until ctx ends, then shuts down gracefully: stop accepting,
// tell WebSocket clients to reconnect (close 1012), let in-flight requests
// finish within the shutdown timeout, and stop the workers. A worker that
// fails stops the whole process: running without, say, the relay would
// acknowledge messages nobody delivers.
func (a *App) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.HTTPAddr, err)
	}
	// Joining the ring only now means no other node routes a user or an
	// event here before connections are accepted; until Serve starts
	// they wait in the listen backlog.
	if err := a.announce.Announce(ctx); err != nil {
		ln.Close()
		return fmt.Errorf("join the ring: %w", err)
	}
	// Nothing waits forever on a silent peer (protocol v1.1): slow
	// headers, a stalled body and an idle keep-alive connection are all
	// closed. ReadTimeout does not cut WebSockets: net/http clears a
	// connection's deadlines when a handler hijacks it, and the gateway's
	// sweeper bounds WebSocket silence instead
	// (TestWebSocketOutlivesTheHTTPReadTimeout).
	timeouts := a.cfg.HTTP.WithDefaults()
	server := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: timeouts.ReadHeader,
		ReadTimeout:       timeouts.Read,
		IdleTimeout:       timeouts.Idle,
		ErrorLog:          slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
	}
	workCtx, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	workerDone := make(chan workerResult, len(a.workers))
	for _, w := range a.workers {
		go func() { workerDone <- workerResult{w.name, w.worker.Run(workCtx)} }()
	}

	serveDone := make(chan error, 1)
	go func() { serveDone <- server.Serve(ln) }()
	a.logger.Info("chatd listening", "addr", ln.Addr().String(), "node", a.cfg.NodeID)
	a.ready <- ln.Addr().String()

	var runErr error
	select {
	case <-ctx.Done():
		a.logger.Info("shutting down", "timeout", a.cfg.ShutdownTimeout)
	case err := <-serveDone:
		runErr = fmt.Errorf("serve: %w", err)
	case res := <-workerDone:
		runErr = fmt.Errorf("%s stopped: %w", res.name, res.err)
		workerDone <- res
	}

	shutdownCtx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	// Hijacked WebSocket connections are not tracked by server.Shutdown, so
	// the gateway closes them itself while the server stops accepting.
	shutdownErr := make(chan error, 1)
	go func() { shutdownErr <- server.Shutdown(shutdownCtx) }()
	a.gateway.Shutdown(shutdownCtx)
	if err := <-shutdownErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		a.logger.Warn("HTTP shutdown incomplete", "err", err)
	}
	stopWorkers()
	for range a.workers {
		res := <-workerDone
		if res.err != nil && !errors.Is(res.err, context.Canceled) && runErr == nil {
			runErr = fmt.Errorf("%s: %w", res.name, res.err)
		}
	}
	a.logger.Info("chatd stopped")
	return runErr
}

type workerResult struct {
	name string
	err  error
}

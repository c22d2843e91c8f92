package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"
)

// startProfiler serves Go's profiler on CHAT_PPROF_ADDR when it is set
// (say 127.0.0.1:6060), on its own listener so it is never reachable
// through the public one: profiles show memory contents and stacks. It is
// how the numbers in docs/performance.md were explained:
//
//	go tool pprof http://127.0.0.1:6060/debug/pprof/profile?seconds=20
func startProfiler(ctx context.Context, logger *slog.Logger) {
	addr := os.Getenv("CHAT_PPROF_ADDR")
	if addr == "" {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		logger.Error("profiler not started", "addr", addr, "err", err)
		return
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	go func() {
		logger.Warn("profiler listening; keep it off public networks", "addr", ln.Addr().String())
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("profiler stopped", "err", err)
		}
	}()
}

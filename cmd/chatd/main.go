// Command chatd is the chat service: WebSocket gateway, REST admin API and
// the delivery path, in one process. With DATABASE_URL unset it runs on its
// embedded defaults (a local PostgreSQL cluster under CHAT_DATA_DIR), so a
// new user needs nothing but the repository.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/chatd/chat/infrastructure/config"
	"github.com/chatd/chat/infrastructure/pgembed"
)

func main() {
	os.Exit(run())
}

func run() int {
	if len(os.Args) > 1 && (os.Args[1] == "-version" || os.Args[1] == "--version") {
		fmt.Println("chatd", version())
		return 0
	}
	format, err := config.LogFormat(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatd: invalid configuration:", err)
		return 2
	}
	logger := newLogger(os.Stderr, format)
	if len(os.Args) > 1 && os.Args[1] == "migrate" {
		return runMigrate(logger)
	}
	cfg, err := config.Load(embeddedGetenv(os.Getenv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatd: invalid configuration:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	if cfg.Embedded() {
		dir := filepath.Join(cfg.DataDir, "pg")
		logger.Info("embedded mode: starting local PostgreSQL", "dir", dir)
		cluster, url, err := pgembed.Start(ctx, dir)
		if err != nil {
			logger.Error("start local PostgreSQL", "dir", dir, "err", err)
			return 1
		}
		defer func() {
			stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := cluster.Stop(stopCtx); err != nil {
				logger.Error("stop local PostgreSQL", "err", err)
			}
		}()
		cfg.DatabaseURL = url
		cfg.Shards.CreateLocal = true
		if cfg.Shards.URLs == "" {
			if cfg.Shards.URLs, err = embeddedShards(ctx, cluster, cfg.Shards.Embedded); err != nil {
				logger.Error("create the embedded shard databases", "err", err)
				return 1
			}
		}
	}
	for _, name := range cfg.Generated {
		value := cfg.AdminToken
		if name == "CHAT_JWT_SECRET" {
			value = cfg.JWTSecret
		}
		// Printed once, on purpose: in embedded mode nobody else knows it.
		fmt.Fprintf(os.Stderr, "chatd: %s was unset; generated and saved in %s: %s\n", name, filepath.Join(cfg.DataDir, secretsFile), value)
	}
	if err := saveGeneratedSecrets(cfg); err != nil {
		logger.Error("save generated secrets", "err", err)
		return 1
	}
	logFileLimit(logger)
	startProfiler(ctx, logger)

	app, cleanup, err := initApp(ctx, cfg, logger)
	if err != nil {
		logger.Error("chatd did not start", "node", cfg.NodeID, "err", err)
		return 1
	}
	defer cleanup()
	if err := app.Run(ctx); err != nil {
		logger.Error("chatd stopped with an error", "err", err)
		return 1
	}
	return 0
}

// logFileLimit logs how many connections this process can hold: each
// WebSocket is one file descriptor, so RLIMIT_NOFILE caps connections.
func logFileLimit(logger *slog.Logger) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		logger.Warn("cannot read the open-file limit", "err", err)
		return
	}
	logger.Info("open-file limit (caps concurrent connections)", "soft", lim.Cur, "hard", lim.Max)
}

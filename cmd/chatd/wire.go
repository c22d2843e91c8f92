//go:build wireinject

package main

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/chatd/chat/infrastructure/config"
)

// initApp builds a chatd from its configuration; wire generates the body
// into wire_gen.go (run `make generate` after changing a provider set).
func initApp(ctx context.Context, cfg config.Config, logger *slog.Logger) (*App, func(), error) {
	wire.Build(
		providerSet,
		newApp,
	)
	return nil, nil, nil
}

package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/chatd/chat/interfaces/origin"
)

// Deps is what the router serves.
type Deps struct {
	Identity   Identity
	Gateway    http.Handler // the WebSocket gateway, mounted at /ws
	Checks     map[string]Pinger
	AdminToken string
	NodeID     string
	Origins    *origin.Policy
	Metrics    http.Handler // Prometheus text format, served at /metrics
	Logger     *slog.Logger
}

// NewRouter builds the service's HTTP handler.
func NewRouter(d Deps) http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	r.Use(cors(d.Origins))

	health := healthHandlers{checks: d.Checks, logger: d.Logger}
	r.Get("/healthz", health.healthz)
	r.Get("/readyz", health.readyz)
	if d.Metrics != nil {
		r.Method(http.MethodGet, "/metrics", d.Metrics)
	}

	r.Method(http.MethodGet, "/ws", d.Gateway)
	r.Get("/v1/gateway", gatewayHandlers{identity: d.Identity, nodeID: d.NodeID, logger: d.Logger}.lookup)

	users := userHandlers{identity: d.Identity, logger: d.Logger}
	r.Route("/admin/v1", func(r chi.Router) {
		r.Use(requireAdmin(d.AdminToken, d.Logger))
		r.Post("/users", users.createUser)
		r.Get("/users/{id}", users.getUser)
		r.Post("/users/{id}/tokens", users.mintToken)
	})
	return r
}

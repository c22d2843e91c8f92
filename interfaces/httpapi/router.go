package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/chatd/chat/domain"
	"github.com/chatd/chat/interfaces/origin"
)

// Deps is what the router serves.
type Deps struct {
	Identity   Identity
	Admin      Admin
	Owners     Owners       // who owns a user on the ring, for GET /v1/gateway
	Gateway    http.Handler // the WebSocket gateway, mounted at /ws
	Checks     map[string]Pinger
	AdminToken string
	NodeID     string
	Version    string // the build, shown by /healthz
	Origins    *origin.Policy
	Metrics    http.Handler // Prometheus text format, served at /metrics
	// Internal is where other nodes of a cluster deliver events
	// (interfaces/peerapi), mounted at InternalPath; nil on a single node.
	Internal http.Handler
	// WebDir holds the web client's static export, served at /; when it
	// has no index.html, / says how to build it. Empty: no web client.
	WebDir string
	Logger *slog.Logger
}

// InternalPath is where Deps.Internal is served.
const InternalPath = "/internal/v1/events"

// NewRouter builds the service's HTTP handler.
func NewRouter(d Deps) http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	r.Use(cors(d.Origins))
	r.Use(rejectNUL(d.Logger))

	health := healthHandlers{checks: d.Checks, version: d.Version, logger: d.Logger}
	r.Get("/healthz", health.healthz)
	r.Get("/readyz", health.readyz)
	if d.Metrics != nil {
		r.Method(http.MethodGet, "/metrics", metrics(d.Metrics))
	}

	r.Get("/openapi.json", serveOpenAPI)
	r.Get("/swagger", http.RedirectHandler("/swagger/index.html", http.StatusMovedPermanently).ServeHTTP)
	r.Get("/swagger/", http.RedirectHandler("/swagger/index.html", http.StatusMovedPermanently).ServeHTTP)
	// Swagger UI's bundle asks for doc.json, which swag would serve from a
	// registry this service does not fill (it answered 500): it gets the
	// OpenAPI 3 document the UI shows.
	r.Get("/swagger/doc.json", serveOpenAPI)
	r.Method(http.MethodGet, "/swagger/*", swaggerUI())

	r.Method(http.MethodGet, "/ws", d.Gateway)
	if d.Internal != nil {
		r.Method(http.MethodPost, InternalPath, d.Internal)
	}
	owners := d.Owners
	if owners == nil {
		owners = selfOwner(d.NodeID)
	}
	r.Get("/v1/gateway", gatewayHandlers{identity: d.Identity, owners: owners, logger: d.Logger}.lookup)

	users := userHandlers{identity: d.Identity, logger: d.Logger}
	ops := adminHandlers{admin: d.Admin, nodeID: d.NodeID, logger: d.Logger}
	r.Route("/admin/v1", func(r chi.Router) {
		r.Use(requireAdmin(d.AdminToken, d.Logger))
		r.Post("/users", users.createUser)
		r.Get("/users", ops.listUsers)
		r.Get("/users/{id}", users.getUser)
		r.Post("/users/{id}/tokens", users.mintToken)
		r.Get("/users/{id}/presence", ops.userPresence)
		r.Get("/channels", ops.listChannels)
		r.Get("/channels/{id}", ops.getChannel)
		r.Get("/channels/{id}/messages", ops.channelMessages)
		r.Delete("/channels/{id}/members/{userId}", ops.removeMember)
		r.Get("/cluster", ops.cluster)
		r.Get("/shards", ops.listShards)
		r.Post("/shards", ops.addShard)
		r.Patch("/shards/{id}", ops.setShardWeight)
		r.Delete("/shards/{id}", ops.drainShard)
	})
	web := webApp{dir: d.WebDir}
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		if web.serve(w, r) {
			return
		}
		writeError(w, r, d.Logger, domain.Errorf(domain.KindNotFound, "no endpoint %s %s", r.Method, r.URL.Path))
	})
	r.MethodNotAllowed(methodNotAllowed(r, d.Logger))
	return r
}

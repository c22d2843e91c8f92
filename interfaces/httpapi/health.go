package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// readyTimeout bounds each dependency check so a hung database makes
// /readyz answer 503 quickly instead of hanging the probe.
const readyTimeout = 2 * time.Second

// HealthResponse is the body of /healthz and /readyz.
type HealthResponse struct {
	Status string            `json:"status" example:"ok"`
	Checks map[string]string `json:"checks,omitempty"`
	// Version is the build of the answering node (/healthz only): its
	// commit, the commit's time and the Go version, as chatd -version
	// prints it.
	Version string `json:"version,omitempty" example:"1f3b4679b1e8 2026-12-06T21:00:00Z go1.26.8"`
} // @name HealthResponse

type healthHandlers struct {
	checks  map[string]Pinger
	version string
	logger  *slog.Logger
}

// healthz godoc
//
//	@Summary	Liveness probe
//	@ID			getHealthz
//	@Description	200 while the process serves HTTP; it checks no dependency. Names the node's build.
//	@Tags		ops
//	@Produce	json
//	@Success	200	{object}	HealthResponse
//	@Router		/healthz [get]
func (h healthHandlers) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, HealthResponse{Status: "ok", Version: h.version})
}

// readyz godoc
//
//	@Summary	Readiness probe
//	@ID			getReadyz
//	@Description	200 only when every dependency (database, broker, cluster membership in etcd) answers; 503 otherwise, naming the failing one. A node that lost etcd keeps serving its connections with its last ring while it reports cluster unavailable.
//	@Tags		ops
//	@Produce	json
//	@Success	200	{object}	HealthResponse
//	@Failure	503	{object}	HealthResponse
//	@Router		/readyz [get]
func (h healthHandlers) readyz(w http.ResponseWriter, r *http.Request) {
	resp := HealthResponse{Status: "ok", Checks: map[string]string{}}
	status := http.StatusOK
	for name, p := range h.checks {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		err := p.Ping(ctx)
		cancel()
		if err != nil {
			h.logger.WarnContext(r.Context(), "readiness check failed", "dependency", name, "err", err)
			resp.Checks[name] = "unavailable"
			resp.Status = "unavailable"
			status = http.StatusServiceUnavailable
			continue
		}
		resp.Checks[name] = "ok"
	}
	writeJSON(w, status, resp)
}

package httpapi

import (
	_ "embed"
	"net/http"

	httpSwagger "github.com/swaggo/http-swagger/v2"
)

// openAPIJSON is the OpenAPI 3 document of this API, the JSON twin of
// api/openapi.yaml. `make generate` writes both from the swag annotations
// (cmd/openapigen); it lives here because a file can be embedded only by
// a package at or above it.
//
//go:embed openapi.json
var openAPIJSON []byte

// openAPI godoc
//
//	@Summary		OpenAPI 3 document of this API
//	@Description	The document Swagger UI shows and typed clients are generated from; the same as api/openapi.yaml in the repository.
//	@ID				getOpenAPI
//	@Tags			docs
//	@Produce		json
//	@Success		200	{object}	object
//	@Router			/openapi.json [get]
func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPIJSON) // the client went away; nothing to do
}

// swaggerUI serves Swagger UI (its files are embedded by swaggo/files)
// pointed at /openapi.json, so the UI shows the OpenAPI 3 document that
// clients are generated from rather than the intermediate Swagger 2.0.
func swaggerUI() http.Handler {
	return httpSwagger.Handler(httpSwagger.URL("/openapi.json"), httpSwagger.PersistAuthorization(true))
}

// metrics godoc
//
//	@Summary		Prometheus metrics
//	@Description	Runtime, process and service metrics in the Prometheus text exposition format. Not behind the admin token, like the probes: keep it off public networks.
//	@ID				getMetrics
//	@Tags			ops
//	@Produce		plain
//	@Success		200	{string}	string	"Prometheus text format"
//	@Router			/metrics [get]
func metrics(h http.Handler) http.Handler { return h }

// Package httpapi is the REST side of the service: the admin API under
// /admin/v1, the gateway lookup /v1/gateway, the health probes and the API
// documents (/openapi.json and the Swagger UI under /swagger/). It mounts
// the WebSocket gateway at /ws so one listener serves everything.
//
// The handlers carry swag annotations; `make generate` turns them into
// docs/swagger.json (Swagger 2.0), converts that to OpenAPI 3 in
// api/openapi.yaml and to openapi.json in this package, which is served.
package httpapi

// The general API description swag reads (not the package doc above).
//
//	@title						chatd REST API
//	@version					1.0
//	@description				The REST side of chatd: the admin API (bearer CHAT_ADMIN_TOKEN), the gateway lookup (bearer user JWT) and the ops probes. Errors are JSON {code, message} with the protocol's codes. The WebSocket API (/ws) is described in api/asyncapi.yaml.
//	@BasePath					/
//	@tag.name			users
//	@tag.description	Create, list and inspect users; mint their tokens; read their presence.
//	@tag.name			channels
//	@tag.description	List and inspect channels and their history; remove members.
//	@tag.name			cluster
//	@tag.description	The gateway nodes and how the consistent hash ring splits users between them.
//	@tag.name			shards
//	@tag.description	The database shards of the channel store: list them, add one, drain one; channels move online.
//	@tag.name			gateway
//	@tag.description	For clients: which node to open the WebSocket on (user token).
//	@tag.name			ops
//	@tag.description	Probes and metrics, without authentication.
//	@tag.name			docs
//	@tag.description	This document.
//
// Security definitions come last: swag reads everything after one as
// part of it.
//
//	@securityDefinitions.apikey	AdminToken
//	@in							header
//	@name						Authorization
//	@description				"Bearer " followed by the service's CHAT_ADMIN_TOKEN.
//	@securityDefinitions.apikey	UserToken
//	@in							header
//	@name						Authorization
//	@description				"Bearer " followed by a user's JWT (HS256, sub = user id), as minted by POST /admin/v1/users/{id}/tokens.

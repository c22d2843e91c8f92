// Package httpapi is the REST side of the service: the admin API under
// /admin/v1, the gateway lookup /v1/gateway, and the health probes. It
// mounts the WebSocket gateway at /ws so one listener serves everything.
package httpapi

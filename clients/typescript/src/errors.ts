import type { ErrorCode } from "./protocol.js";

// ChatError is an `error` frame of the server: code is the protocol's code.
export class ChatError extends Error {
  override readonly name = "ChatError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly command?: string,
    readonly retryAfterMs?: number,
  ) {
    super(`${code}: ${message}`);
  }
}

// ConnectionLostError rejects a command that was written to a connection
// that then dropped, when repeating it on the next one would not be safe.
export class ConnectionLostError extends Error {
  override readonly name = "ConnectionLostError";
}

// TimeoutError rejects a command that got no reply in time.
export class TimeoutError extends Error {
  override readonly name = "TimeoutError";
}

// ClosedError is what the client ends with: a terminal close code of the
// server (code set), a refused token, or close() by the application.
export class ClosedError extends Error {
  override readonly name = "ClosedError";
  constructor(
    message: string,
    readonly code?: number,
    readonly reason?: string,
  ) {
    super(message);
  }
}

// GatewayError is a failed GET /v1/gateway.
export class GatewayError extends Error {
  override readonly name = "GatewayError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`gateway ${status} ${code}: ${message}`);
  }
}

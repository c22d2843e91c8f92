export { ChatClient, type ClientOptions, type ClientEvents, type ChannelInfo } from "./client.js";
export type { ConnectionState, WebSocketLike, WebSocketFactory, TokenSource } from "./connection.js";
export { Backoff, type BackoffOptions } from "./backoff.js";
export { ChannelStream, type Delivered } from "./stream.js";
export { ChatError, ClosedError, ConnectionLostError, GatewayError, TimeoutError } from "./errors.js";
export * from "./protocol.js";

import { Backoff, type BackoffOptions } from "./backoff.js";
import { ClosedError, GatewayError } from "./errors.js";
import { CLOSE_CODES, type Frame, type Ready } from "./protocol.js";

// The part of the WebSocket API the client uses: the browser's WebSocket
// and the `ws` package of Node both fit.
export interface WebSocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
export type WebSocketFactory = (url: string) => WebSocketLike;

export type TokenSource = string | (() => string | Promise<string>);

export interface ConnectionOptions {
  // http(s) address of any node; GET /v1/gateway there names the user's node.
  baseUrl?: string;
  // A WebSocket URL to try first instead of asking the gateway.
  url?: string;
  token: TokenSource;
  // Called when the server refuses the token (close 4001, HTTP 401): the
  // promised token replaces it. Without it, 4001 ends the client.
  refreshToken?: () => Promise<string>;
  webSocket?: WebSocketFactory;
  fetch?: typeof fetch;
  backoff?: BackoffOptions;
}

export type ConnectionState =
  | { state: "idle" }
  | { state: "connecting" }
  | { state: "connected"; nodeId: string; sessionId: string }
  | { state: "reconnecting"; reason: { code: number; reason: string }; attempt: number; delayMs: number }
  | { state: "closed"; error?: Error };

export interface ConnectionHandlers {
  ready(ready: Ready): void;
  frame(frame: Frame): void;
  down(): void;
  state(s: ConnectionState): void;
}

// After this many 4010 redirects in a row without a ready, back off: two
// nodes disagreeing about the ring must not become a busy loop.
const MAX_QUICK_REDIRECTS = 3;

// Connection keeps one WebSocket up: discovery, 4010 redirects, backoff by
// close code, token refresh, heartbeats and their acks.
export class Connection {
  private ws: WebSocketLike | undefined;
  private live = false;
  private stopped = false;
  private token: string | undefined;
  private redirects = 0;
  private refreshedWithoutReady = false;
  private readonly backoff: Backoff;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private hbSeq = 0;
  private hbUnacked: string | undefined;
  current: ConnectionState = { state: "idle" };

  constructor(
    private readonly o: ConnectionOptions,
    private readonly h: ConnectionHandlers,
  ) {
    this.backoff = new Backoff(o.backoff);
  }

  start(): void {
    if (this.current.state !== "idle") {
      return;
    }
    this.setState({ state: "connecting" });
    void this.open(this.o.url);
  }

  stop(err?: Error): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.dropSocket(1000, "client closed");
    this.setState(err ? { state: "closed", error: err } : { state: "closed" });
  }

  // write sends a frame on a live connection; false when there is none.
  write(f: Frame): boolean {
    if (!this.ws || !this.live) {
      return false;
    }
    this.ws.send(JSON.stringify(f));
    return true;
  }

  private setState(s: ConnectionState): void {
    this.current = s;
    this.h.state(s);
  }

  private async currentToken(): Promise<string> {
    if (this.token === undefined) {
      const t = this.o.token;
      this.token = typeof t === "string" ? t : await t();
    }
    return this.token;
  }

  private async refresh(): Promise<boolean> {
    if (!this.o.refreshToken) {
      return false;
    }
    this.token = await this.o.refreshToken();
    return true;
  }

  // discover asks GET /v1/gateway for the node that owns the user.
  private async discover(): Promise<string> {
    if (!this.o.baseUrl) {
      if (this.o.url) {
        return this.o.url;
      }
      throw new Error("ChatClient needs baseUrl or url");
    }
    const doFetch = this.o.fetch ?? globalThis.fetch.bind(globalThis);
    for (let attempt = 0; ; attempt++) {
      const res = await doFetch(new URL("/v1/gateway", this.o.baseUrl), {
        headers: { Authorization: `Bearer ${await this.currentToken()}` },
      });
      if (res.ok) {
        return ((await res.json()) as { url: string }).url;
      }
      const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
      if (res.status === 401 && attempt === 0 && (await this.refresh())) {
        continue;
      }
      throw new GatewayError(res.status, body.code ?? "unknown", body.message ?? res.statusText);
    }
  }

  private async open(target: string | undefined): Promise<void> {
    let url: string;
    try {
      url = target ?? (await this.discover());
      url = withToken(url, await this.currentToken());
    } catch (err) {
      if (this.stopped) {
        return;
      }
      if (err instanceof GatewayError && (err.status === 401 || err.status === 403 || err.status === 404)) {
        this.stop(new ClosedError(err.message));
        return;
      }
      this.retry({ code: 1006, reason: err instanceof Error ? err.message : String(err) }, undefined, false);
      return;
    }
    if (this.stopped) {
      return;
    }
    const factory = this.o.webSocket ?? ((u: string) => new WebSocket(u) as unknown as WebSocketLike);
    const ws = factory(url);
    this.ws = ws;
    ws.onmessage = (ev) => this.onFrame(ws, ev.data);
    ws.onclose = (ev) => {
      if (this.ws === ws) {
        this.onClose(ev.code, ev.reason);
      }
    };
    ws.onerror = () => undefined; // onclose follows and decides
  }

  private onFrame(ws: WebSocketLike, data: unknown): void {
    if (this.ws !== ws) {
      return;
    }
    let f: Frame;
    try {
      f = JSON.parse(String(data)) as Frame;
    } catch {
      return; // the server only sends JSON; a broken frame has nothing to act on
    }
    if (f.type === "ready") {
      const ready = f.payload as Ready;
      this.live = true;
      this.redirects = 0;
      this.refreshedWithoutReady = false;
      this.backoff.reset();
      this.setState({ state: "connected", nodeId: ready.nodeId, sessionId: ready.sessionId });
      this.startHeartbeats(ready.heartbeatIntervalMs);
      this.h.ready(ready);
      return;
    }
    if (f.type === "heartbeat_ack" && f.requestId !== undefined && f.requestId === this.hbUnacked) {
      this.hbUnacked = undefined;
      return;
    }
    this.h.frame(f);
  }

  private startHeartbeats(intervalMs: number): void {
    clearInterval(this.heartbeatTimer);
    this.hbUnacked = undefined;
    const beat = () => {
      if (this.hbUnacked !== undefined) {
        // The previous heartbeat got no ack in a whole interval: the link
        // is dead even if TCP has not noticed yet.
        this.dropSocket(4000, "no heartbeat_ack");
        this.onClose(1006, "no heartbeat_ack within heartbeatIntervalMs");
        return;
      }
      this.hbUnacked = `hb${++this.hbSeq}`;
      this.write({ type: "heartbeat", requestId: this.hbUnacked, payload: { status: "online" } });
    };
    beat();
    this.heartbeatTimer = setInterval(beat, intervalMs);
  }

  private dropSocket(code: number, reason: string): void {
    clearInterval(this.heartbeatTimer);
    const ws = this.ws;
    this.ws = undefined;
    this.live = false;
    if (ws) {
      ws.onmessage = ws.onclose = ws.onopen = null;
      // Not null: Node's `ws` reports closing a socket that is still
      // connecting as an "error" event, which with no handler left would
      // throw out of the event loop and end the application's process.
      ws.onerror = () => undefined;
      try {
        ws.close(code, reason);
      } catch {
        // already closed
      }
    }
  }

  private onClose(code: number, reason: string): void {
    const wasLive = this.live;
    this.dropSocket(1000, "");
    if (wasLive) {
      this.h.down();
    }
    if (this.stopped) {
      return;
    }
    if (code === 4010) {
      this.redirects++;
      const quick = this.redirects <= MAX_QUICK_REDIRECTS;
      this.retry({ code, reason }, reason === "" ? undefined : reason, quick);
      return;
    }
    if (code === 4001) {
      void this.onUnauthorized(reason);
      return;
    }
    if (CLOSE_CODES[code]?.action === "stop") {
      this.stop(new ClosedError(`server closed the connection: ${code} ${CLOSE_CODES[code]?.name}`, code, reason));
      return;
    }
    this.retry({ code, reason }, undefined, false);
  }

  private async onUnauthorized(reason: string): Promise<void> {
    let refreshed = false;
    try {
      refreshed = !this.refreshedWithoutReady && (await this.refresh());
    } catch (err) {
      this.stop(new ClosedError(`token refresh failed: ${err instanceof Error ? err.message : String(err)}`, 4001, reason));
      return;
    }
    if (!refreshed) {
      this.stop(new ClosedError("the server refused the token (4001)", 4001, reason));
      return;
    }
    this.refreshedWithoutReady = true;
    this.retry({ code: 4001, reason }, undefined, true);
  }

  private retry(why: { code: number; reason: string }, target: string | undefined, quick: boolean): void {
    const delayMs = quick ? 0 : this.backoff.next();
    this.setState({ state: "reconnecting", reason: why, attempt: this.backoff.attempts, delayMs });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.open(target), delayMs);
  }
}

function withToken(url: string, token: string): string {
  const u = new URL(url);
  u.searchParams.set("access_token", token);
  return u.toString();
}

// Starts real chatd processes for the SDK's end-to-end tests, configured by
// scripts/clients.sh: CHATD_BIN (the built binary), CHAT_TEST_DATABASE_URL,
// and, when set, CHAT_TEST_KAFKA_BROKERS and CHAT_TEST_ETCD_ENDPOINTS.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import WebSocket from "ws";
import { ChatClient, type ClientOptions, type ConnectionState, type Delivered, type WebSocketLike } from "../../src/index.js";

export const ADMIN = "sdk-e2e-admin-token-0123456789";
const JWT = "sdk-e2e-jwt-secret-0123456789";
export const CLUSTER_SECRET = "sdk-e2e-cluster-secret-0123";
export const run = randomBytes(4).toString("hex");

export function need(name: string): string {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set: run the SDK tests through scripts/clients.sh (make test)`);
  }
  return v;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

export class Chatd {
  private proc: ChildProcess | undefined;
  private log: string[] = [];
  readonly base: string;

  constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {
    this.base = `http://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && !k.startsWith("CHAT_") && k !== "KAFKA_BROKERS" && k !== "DATABASE_URL" && k !== "ETCD_ENDPOINTS") {
        env[k] = v;
      }
    }
    Object.assign(env, {
      CHAT_HTTP_ADDR: `127.0.0.1:${this.port}`,
      DATABASE_URL: need("CHAT_TEST_DATABASE_URL"),
      CHAT_ADMIN_TOKEN: ADMIN,
      CHAT_JWT_SECRET: JWT,
      CHAT_KAFKA_TOPIC_PREFIX: `sdk${run}.`,
      CHAT_SHUTDOWN_TIMEOUT: "2s",
      CHAT_WEB_DIR: "/nonexistent",
      ...this.env,
    });
    const kafka = process.env.CHAT_TEST_KAFKA_BROKERS;
    if (kafka) {
      env.KAFKA_BROKERS = kafka;
    } else if (!env.CHAT_EMBEDDED_KAFKA_ADDR) {
      env.CHAT_EMBEDDED_KAFKA_ADDR = `127.0.0.1:${await freePort()}`;
    }
    const proc = spawn(need("CHATD_BIN"), [], { env, stdio: ["ignore", "pipe", "pipe"] });
    this.proc = proc;
    proc.stdout?.on("data", (b: Buffer) => this.log.push(b.toString()));
    proc.stderr?.on("data", (b: Buffer) => this.log.push(b.toString()));
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (proc.exitCode !== null) {
        throw new Error(`chatd exited with ${proc.exitCode}:\n${this.log.join("")}`);
      }
      const ok = await fetch(`${this.base}/readyz`).then((r) => r.ok, () => false);
      if (ok) {
        return;
      }
      if (Date.now() > deadline) {
        throw new Error(`chatd not ready within 90 s:\n${this.log.join("")}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  // stop ends the process with SIGTERM (graceful: connections get 1012).
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) {
      return;
    }
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGTERM");
    await exited;
  }

  logs(): string {
    return this.log.join("");
  }

  async admin(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${ADMIN}`, "Content-Type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) {
      throw new Error(`${method} ${path}: ${res.status} ${text}`);
    }
    return text === "" ? undefined : JSON.parse(text);
  }

  async user(name: string): Promise<string> {
    const id = `${name}-${run}`;
    await this.admin("POST", "/admin/v1/users", { id, name });
    return id;
  }

  async token(userId: string, ttlSeconds = 3600): Promise<string> {
    return ((await this.admin("POST", `/admin/v1/users/${encodeURIComponent(userId)}/tokens`, { ttlSeconds })) as { token: string }).token;
  }
}

export const nodeWebSocket = (url: string): WebSocketLike => new WebSocket(url) as unknown as WebSocketLike;

// Watched is a client with everything it emitted recorded.
export interface Watched {
  client: ChatClient;
  messages: Delivered[];
  states: ConnectionState[];
}

export function watch(opts: ClientOptions): Watched {
  const client = new ChatClient({ webSocket: nodeWebSocket, backoff: { initialMs: 100, maxMs: 1000 }, ...opts });
  const w: Watched = { client, messages: [], states: [] };
  client.on("message", (m) => w.messages.push(m));
  client.on("state", (s) => w.states.push(s));
  client.connect();
  return w;
}

export async function until(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function connected(w: Watched): Promise<void> {
  return until("connected", () => w.client.state.state === "connected");
}

export function inChannel(w: Watched, channelId: string): Delivered[] {
  return w.messages.filter((m) => m.channelId === channelId);
}

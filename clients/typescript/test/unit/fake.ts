// An in-memory WebSocket pair for unit tests of the client's logic: the
// test plays the server, frame by frame.
import type { Frame, WebSocketLike } from "../../src/index.js";

export class FakeSocket implements WebSocketLike {
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  readonly sent: Frame[] = [];
  closed = false;

  constructor(readonly url: string) {}

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Frame);
  }
  close(): void {
    this.closed = true;
  }
  // server side
  push(type: string, payload: unknown, requestId?: string): void {
    this.onmessage?.({ data: JSON.stringify(requestId === undefined ? { type, payload } : { type, requestId, payload }) });
  }
  drop(code: number, reason = ""): void {
    this.onclose?.({ code, reason });
  }
  // the last frame of a type the client sent
  last(type: string): Frame & { requestId: string } {
    const f = [...this.sent].reverse().find((s) => s.type === type);
    if (!f) {
      throw new Error(`no ${type} sent; sent: ${this.sent.map((s) => s.type).join(",")}`);
    }
    return f as Frame & { requestId: string };
  }
}

export class FakeServer {
  readonly sockets: FakeSocket[] = [];
  factory = (url: string): WebSocketLike => {
    const s = new FakeSocket(url);
    this.sockets.push(s);
    return s;
  };
  get current(): FakeSocket {
    const s = this.sockets[this.sockets.length - 1];
    if (!s) {
      throw new Error("no socket opened");
    }
    return s;
  }
}

export function ready(channels: unknown[] = [], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { userId: "me", sessionId: "s1", nodeId: "n1", heartbeatIntervalMs: 60_000, presenceTimeoutMs: 30_000, channels, ...extra };
}

export function msg(channelId: string, seq: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { channelId, messageId: `${channelId}-m${seq}`, senderId: "other", body: `b${seq}`, createdAt: "2026-01-01T00:00:00.000Z", seq, ...extra };
}

// until polls a condition (the client works through promises and timers).
export async function until(what: string, cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

import { ChatError, ConnectionLostError, TimeoutError } from "./errors.js";
import type { CommandType, ErrorPayload, Frame } from "./protocol.js";

// Commands whose repetition changes nothing: after a connection drops with
// one of them unanswered, it is sent again on the next connection.
// send_message is idempotent through its clientMessageId, a direct
// create_channel returns the pair's existing channel; a group
// create_channel is not repeatable and fails with ConnectionLostError.
function repeatable(type: CommandType, payload: unknown): boolean {
  if (type === "create_channel") {
    return (payload as { channelType?: string }).channelType === "direct";
  }
  return true;
}

interface Pending {
  frame: Frame & { requestId: string };
  repeatable: boolean;
  written: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  resolve: (payload: unknown) => void;
  reject: (err: Error) => void;
}

// Requests matches replies to commands by requestId, so any number of
// commands may be in flight at once (pipelining).
export class Requests {
  private next = 0;
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly timeoutMs: number) {}

  // add registers a command; write is called now if a connection is up,
  // else by flush() once one is.
  add(type: CommandType, payload: unknown, write: ((f: Frame) => boolean) | undefined): Promise<unknown> {
    const requestId = `r${++this.next}`;
    return new Promise((resolve, reject) => {
      const p: Pending = {
        frame: { type, requestId, payload },
        repeatable: repeatable(type, payload),
        written: false,
        timer: undefined,
        resolve,
        reject,
      };
      this.pending.set(requestId, p);
      if (write) {
        this.write(p, write);
      }
    });
  }

  // flush writes every command not written yet (queued while offline, or
  // repeatable ones carried over from a dropped connection).
  flush(write: (f: Frame) => boolean): void {
    for (const p of this.pending.values()) {
      if (!p.written) {
        this.write(p, write);
      }
    }
  }

  // settle resolves or rejects the command a reply answers; false when the
  // frame answers none of ours.
  settle(f: Frame): boolean {
    if (f.requestId === undefined) {
      return false;
    }
    const p = this.pending.get(f.requestId);
    if (!p) {
      return false;
    }
    this.finish(f.requestId, p);
    if (f.type === "error") {
      const e = f.payload as ErrorPayload;
      p.reject(new ChatError(e.code, e.message, e.command, e.retryAfterMs));
    } else {
      p.resolve(f.payload);
    }
    return true;
  }

  // connectionLost keeps repeatable commands for the next connection and
  // fails the others: their outcome is unknown.
  connectionLost(): void {
    for (const [id, p] of this.pending) {
      if (!p.written) {
        continue;
      }
      clearTimeout(p.timer);
      p.timer = undefined;
      if (p.repeatable) {
        p.written = false;
      } else {
        this.pending.delete(id);
        p.reject(new ConnectionLostError(`connection lost before the reply to ${p.frame.type}`));
      }
    }
  }

  rejectAll(err: Error): void {
    for (const [id, p] of this.pending) {
      this.finish(id, p);
      p.reject(err);
    }
  }

  private write(p: Pending, write: (f: Frame) => boolean): void {
    if (!write(p.frame)) {
      return;
    }
    p.written = true;
    p.timer = setTimeout(() => {
      this.finish(p.frame.requestId, p);
      p.reject(new TimeoutError(`no reply to ${p.frame.type} within ${this.timeoutMs} ms`));
    }, this.timeoutMs);
  }

  private finish(id: string, p: Pending): void {
    clearTimeout(p.timer);
    this.pending.delete(id);
  }
}

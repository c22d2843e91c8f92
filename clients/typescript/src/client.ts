import { Connection, type ConnectionOptions, type ConnectionState } from "./connection.js";
import { Emitter } from "./emitter.js";
import { ChatError, ClosedError } from "./errors.js";
import type * as P from "./protocol.js";
import { Requests } from "./requests.js";
import { ChannelStream, type Delivered } from "./stream.js";

export interface ClientOptions extends ConnectionOptions {
  // How long a written command waits for its reply (the server answers
  // within 10 s whatever the load).
  requestTimeoutMs?: number;
  // How often a command refused with rate_limited or unavailable (nothing
  // stored) is sent again before its promise rejects.
  maxRetries?: number;
  // Where to resume each channel's stream: the seq of the last message the
  // application already holds. Other channels start at their lastSeq.
  since?: Record<string, number>;
}

// What the client knows about a channel, kept fresh from ready, the
// messages it delivers and the read-state events.
export interface ChannelInfo {
  channelId: string;
  channelType: P.ChannelType;
  lastSeq: number;
  lastReadSeq?: number;
  unreadCount?: number;
}

export interface ClientEvents {
  state: ConnectionState;
  ready: P.Ready;
  message: Delivered;
  channel_created: P.ChannelCreated;
  channel_joined: P.ChannelJoined;
  channel_left: P.ChannelLeft;
  member_joined: P.MemberChange;
  member_left: P.MemberChange;
  presence: P.UserPresence;
  read_updated: P.ReadUpdated;
  typing: P.TypingEvent;
  // An error frame that answers no command of ours (e.g. a failed typing).
  error: ChatError;
}

// Typing events are sent at most this often per channel, as the server
// drops the extra ones anyway.
const TYPING_EVERY_MS = 2000;

// ChatClient is the chatd SDK: one logical connection that survives drops,
// redirects and restarts, and delivers each channel's messages once and in
// seq order (event "message").
export class ChatClient extends Emitter<ClientEvents> {
  private readonly conn: Connection;
  private readonly requests: Requests;
  private readonly streams = new Map<string, ChannelStream>();
  private readonly filling = new Map<string, boolean>();
  private readonly info = new Map<string, ChannelInfo>();
  private readonly typingSent = new Map<string, number>();
  private readonly maxRetries: number;
  private readied = false;
  ready: P.Ready | undefined;

  constructor(private readonly options: ClientOptions) {
    super();
    this.maxRetries = options.maxRetries ?? 5;
    this.requests = new Requests(options.requestTimeoutMs ?? 15_000);
    this.conn = new Connection(options, {
      ready: (r) => this.onReady(r),
      frame: (f) => this.onFrame(f),
      down: () => this.requests.connectionLost(),
      state: (s) => {
        if (s.state === "closed") {
          this.requests.rejectAll(s.error ?? new ClosedError("client closed"));
        }
        this.emit("state", s);
      },
    });
  }

  get state(): ConnectionState {
    return this.conn.current;
  }

  get channels(): ChannelInfo[] {
    return [...this.info.values()];
  }

  connect(): void {
    this.conn.start();
  }

  close(): void {
    this.conn.stop();
  }

  // --- commands ------------------------------------------------------------

  createChannel(p: P.CreateChannel): Promise<P.ChannelCreated> {
    return this.command("create_channel", p);
  }

  // sendMessage stores a message; retried with the same clientMessageId on
  // rate_limited, unavailable and lost connections, so it is stored once.
  sendMessage(channelId: string, body: string, clientMessageId: string = newId()): Promise<P.MessageSent> {
    return this.command("send_message", { channelId, body, clientMessageId });
  }

  // getMessages reads history (e.g. beforeSeq for scrolling up); it does not
  // feed the "message" event, which carries only the live stream.
  getMessages(p: P.GetMessages): Promise<P.Messages> {
    return this.command("get_messages", p);
  }

  getChannel(channelId: string): Promise<P.Channel> {
    return this.command("get_channel", { channelId }).then((c) => {
      this.noteChannel(c);
      return c;
    });
  }

  getUsers(userIds: string[]): Promise<P.Users> {
    return this.command("get_users", { userIds });
  }

  joinChannel(channelId: string): Promise<P.ChannelJoined> {
    return this.command("join_channel", { channelId });
  }

  leaveChannel(channelId: string): Promise<P.ChannelLeft> {
    return this.command("leave_channel", { channelId });
  }

  getPresence(userIds: string[]): Promise<P.Presence> {
    return this.command("get_presence", { userIds });
  }

  // heartbeat is sent by the client on its own every heartbeatIntervalMs;
  // call it with "offline" to appear offline at once.
  heartbeat(status: P.PresenceStatus): Promise<P.HeartbeatAck> {
    return this.command("heartbeat", { status });
  }

  markRead(channelId: string, seq: number): Promise<P.ReadMarked> {
    return this.command("mark_read", { channelId, seq });
  }

  // typing tells the other members the user is typing; no reply. Calls
  // closer than 2 s per channel, while offline, or to a server older than
  // protocol v1.1 (no protocolVersion in ready) send nothing.
  typing(channelId: string): void {
    if (this.ready?.protocolVersion === undefined) {
      return;
    }
    const now = Date.now();
    if (now - (this.typingSent.get(channelId) ?? -Infinity) < TYPING_EVERY_MS) {
      return;
    }
    if (this.conn.write({ type: "typing", payload: { channelId } })) {
      this.typingSent.set(channelId, now);
    }
  }

  // command sends one command and resolves with its reply. Refusals that
  // stored nothing (rate_limited, unavailable) are retried after the
  // server's retryAfterMs, else a growing delay.
  async command<C extends Exclude<P.CommandType, "typing">>(type: C, payload: P.Commands[C]["payload"]): Promise<P.ReplyOf<C>> {
    for (let attempt = 0; ; attempt++) {
      try {
        const reply = (await this.requests.add(type, payload, this.writer())) as P.ReplyOf<C>;
        this.onReply(type, reply);
        return reply;
      } catch (err) {
        const retriable = err instanceof ChatError && (err.code === "rate_limited" || err.code === "unavailable");
        if (!retriable || attempt >= this.maxRetries) {
          throw err;
        }
        await sleep(err.retryAfterMs ?? Math.min(5000, 200 * 2 ** attempt));
      }
    }
  }

  private writer(): ((f: P.Frame) => boolean) | undefined {
    return this.conn.current.state === "connected" ? (f) => this.conn.write(f) : undefined;
  }

  // --- incoming --------------------------------------------------------------

  private onReady(r: P.Ready): void {
    this.ready = r;
    for (const c of r.channels) {
      this.noteChannel(c);
      if (!this.streams.has(c.channelId)) {
        // Channels present at the first connect start where they stand (or
        // where the application says it is); a channel that appears on a
        // later connect was created meanwhile, so all of it is new.
        const start = this.options.since?.[c.channelId] ?? (this.readied ? 0 : c.lastSeq);
        this.streams.set(c.channelId, new ChannelStream(start));
      }
    }
    this.readied = true;
    this.emit("ready", r);
    this.requests.flush((f) => this.conn.write(f));
    for (const [id, s] of this.streams) {
      const known = r.channels.find((c) => c.channelId === id);
      if (!known || known.lastSeq > s.cursor || s.hasGap()) {
        void this.catchUp(id);
      }
    }
  }

  private onFrame(f: P.Frame): void {
    if (this.requests.settle(f)) {
      return;
    }
    const p = f.payload as never;
    switch (f.type as P.ServerFrameType) {
      case "message_received":
        this.offer(p);
        return;
      case "channel_created":
        this.addChannel(p);
        this.emit("channel_created", p);
        return;
      case "member_left":
        if ((p as P.MemberChange).userId === this.ready?.userId) {
          this.dropChannel((p as P.MemberChange).channelId);
        }
        this.emit("member_left", p);
        return;
      case "member_joined":
        this.emit("member_joined", p);
        return;
      case "presence_updated":
        this.emit("presence", p);
        return;
      case "read_updated":
        this.onReadUpdated(p);
        return;
      case "typing":
        this.emit("typing", p);
        return;
      case "error": {
        const e = p as P.ErrorPayload;
        this.emit("error", new ChatError(e.code, e.message, e.command, e.retryAfterMs));
        return;
      }
      default:
        return; // a frame type this version does not know: ignore it
    }
  }

  private onReply(type: P.CommandType, reply: unknown): void {
    switch (type) {
      case "send_message":
        this.offer(reply as P.MessageSent);
        return;
      case "create_channel":
        this.addChannel(reply as P.ChannelCreated);
        this.emit("channel_created", reply as P.ChannelCreated);
        return;
      case "join_channel": {
        const j = reply as P.ChannelJoined;
        if (!this.streams.has(j.channelId)) {
          this.streams.set(j.channelId, new ChannelStream(j.lastSeq));
        }
        this.emit("channel_joined", j);
        return;
      }
      case "leave_channel":
        this.dropChannel((reply as P.ChannelLeft).channelId);
        this.emit("channel_left", reply as P.ChannelLeft);
        return;
      case "mark_read": {
        const m = reply as P.ReadMarked;
        this.setRead(m.channelId, m.lastReadSeq);
        return;
      }
      default:
        return;
    }
  }

  private onReadUpdated(u: P.ReadUpdated): void {
    if (u.userId === this.ready?.userId) {
      this.setRead(u.channelId, u.lastReadSeq);
    }
    this.emit("read_updated", u);
  }

  private setRead(channelId: string, lastReadSeq: number): void {
    const i = this.info.get(channelId);
    if (i && lastReadSeq >= (i.lastReadSeq ?? 0)) {
      i.lastReadSeq = lastReadSeq;
      i.unreadCount = Math.max(0, i.lastSeq - lastReadSeq);
    }
  }

  private noteChannel(c: P.ReadyChannel | P.Channel): void {
    const i: ChannelInfo = { channelId: c.channelId, channelType: c.channelType, lastSeq: c.lastSeq };
    if (c.lastReadSeq !== undefined) {
      i.lastReadSeq = c.lastReadSeq;
    }
    if (c.unreadCount !== undefined) {
      i.unreadCount = c.unreadCount;
    }
    this.info.set(c.channelId, i);
  }

  private addChannel(c: P.ChannelCreated): void {
    if (!this.info.has(c.channelId)) {
      const i: ChannelInfo = { channelId: c.channelId, channelType: c.channelType, lastSeq: 0 };
      if (this.ready?.protocolVersion !== undefined) {
        // A server with read state starts a new member at the channel's
        // lastSeq, which is 0 for a channel created just now.
        i.lastReadSeq = 0;
        i.unreadCount = 0;
      }
      this.info.set(c.channelId, i);
    }
    if (!this.streams.has(c.channelId)) {
      this.streams.set(c.channelId, new ChannelStream(0));
    }
  }

  private dropChannel(channelId: string): void {
    this.streams.delete(channelId);
    this.info.delete(channelId);
  }

  // offer runs a message through its channel's stream and delivers what
  // became deliverable; a hole in seq starts a fill with get_messages.
  private offer(m: Delivered): void {
    let s = this.streams.get(m.channelId);
    if (!s) {
      // A message for a channel we learn of only now (its channel_created
      // raced ahead on another path): the channel is new, start at 0.
      this.addChannel({ channelId: m.channelId, channelType: "group", memberIds: [], createdAt: m.createdAt });
      s = this.streams.get(m.channelId) as ChannelStream;
    }
    for (const d of s.offer(m)) {
      const i = this.info.get(d.channelId);
      if (i && d.seq > i.lastSeq) {
        i.lastSeq = d.seq;
        if (i.lastReadSeq !== undefined) {
          i.unreadCount = Math.max(0, i.lastSeq - i.lastReadSeq);
        }
      }
      this.emit("message", d);
    }
    if (s.hasGap()) {
      void this.catchUp(m.channelId);
    }
  }

  // catchUp reads a channel after its cursor until the server has nothing
  // more; one at a time per channel, rerun if asked again meanwhile.
  private async catchUp(channelId: string): Promise<void> {
    if (this.filling.has(channelId)) {
      this.filling.set(channelId, true);
      return;
    }
    this.filling.set(channelId, false);
    try {
      for (;;) {
        const s = this.streams.get(channelId);
        if (!s || this.conn.current.state !== "connected") {
          return;
        }
        const page = await this.command("get_messages", { channelId, afterSeq: s.cursor, limit: 100 });
        for (const m of page.messages) {
          this.offer(m);
        }
        if (!page.hasMore && !this.filling.get(channelId)) {
          return;
        }
        this.filling.set(channelId, false);
      }
    } catch (err) {
      // The next ready catches up again; report why this one stopped.
      if (err instanceof ChatError) {
        this.emit("error", err);
      }
    } finally {
      this.filling.delete(channelId);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function newId(): string {
  return globalThis.crypto.randomUUID();
}

// ChatStore keeps what the screens draw, fed only by the SDK's ChatClient,
// and hands React immutable snapshots (useSyncExternalStore).
import {
  ChatClient,
  type ChannelType,
  type ConnectionState,
  type Delivered,
  type Message,
  type PresenceStatus,
  type Ready,
} from "@chatd/client";
import type { Session } from "./session";

export interface ChannelView {
  channelId: string;
  channelType: ChannelType;
  name?: string;
  memberIds: string[];
  lastSeq: number;
  unread: number;
  // userId -> lastReadSeq, from get_channel and read_updated (protocol v1.1)
  readState: Record<string, number>;
}

export interface Snapshot {
  me: string;
  connection: ConnectionState;
  // the server keeps read state (protocol v1.1): unread counts and "read by"
  // marks come from it; otherwise unread counts are this page's own.
  serverReadState: boolean;
  channels: ChannelView[];
  selected?: string;
  messages: Record<string, Message[]>;
  olderAvailable: Record<string, boolean>;
  presence: Record<string, PresenceStatus>;
  names: Record<string, string>;
  typing: Record<string, Record<string, number>>; // channel -> user -> until (ms)
  error?: string;
}

const TYPING_SHOWN_MS = 5000;
const PAGE = 50;

export class ChatStore {
  readonly client: ChatClient;
  private snap: Snapshot;
  private readonly listeners = new Set<() => void>();
  private loadingOlder = new Set<string>();

  constructor(session: Session) {
    this.snap = {
      me: session.userId,
      connection: { state: "idle" },
      serverReadState: false,
      channels: [],
      messages: {},
      olderAvailable: {},
      presence: {},
      names: {},
      typing: {},
    };
    this.client = new ChatClient({
      baseUrl: window.location.origin,
      token: session.token,
      ...(session.refreshToken ? { refreshToken: session.refreshToken } : {}),
      backoff: { initialMs: 500, maxMs: 5000 },
    });
    const c = this.client;
    c.on("state", (s) => this.set({ connection: s }));
    c.on("ready", (r) => void this.onReady(r));
    c.on("message", (m) => this.onMessage(m));
    c.on("channel_created", (ch) => {
      this.upsert({ channelId: ch.channelId, channelType: ch.channelType, memberIds: ch.memberIds, ...(ch.name ? { name: ch.name } : {}) });
      void this.learnUsers(ch.memberIds);
    });
    c.on("channel_left", (l) => this.set({ channels: this.snap.channels.filter((x) => x.channelId !== l.channelId) }));
    c.on("member_joined", (m) => this.patch(m.channelId, (v) => ({ memberIds: [...new Set([...v.memberIds, m.userId])] })));
    c.on("member_left", (m) => this.patch(m.channelId, (v) => ({ memberIds: v.memberIds.filter((u) => u !== m.userId) })));
    c.on("presence", (p) => this.set({ presence: { ...this.snap.presence, [p.userId]: p.status } }));
    c.on("read_updated", (u) => {
      this.patch(u.channelId, (v) => ({ readState: { ...v.readState, [u.userId]: Math.max(u.lastReadSeq, v.readState[u.userId] ?? 0) } }));
      if (u.userId === this.snap.me) {
        this.syncUnread(u.channelId);
      }
    });
    c.on("typing", (t) => this.onTyping(t.channelId, t.userId));
    c.on("error", (e) => this.set({ error: e.message }));
  }

  start(): void {
    this.client.connect();
  }

  stop(): void {
    this.client.close();
  }

  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  getSnapshot = (): Snapshot => this.snap;

  private set(p: Partial<Snapshot>): void {
    this.snap = { ...this.snap, ...p };
    for (const l of this.listeners) {
      l();
    }
  }

  private upsert(v: Partial<ChannelView> & { channelId: string; channelType: ChannelType }): void {
    const old = this.snap.channels.find((x) => x.channelId === v.channelId);
    const next: ChannelView = { memberIds: [], lastSeq: 0, unread: 0, readState: {}, ...old, ...v };
    const rest = this.snap.channels.filter((x) => x.channelId !== v.channelId);
    this.set({ channels: old ? this.snap.channels.map((x) => (x.channelId === v.channelId ? next : x)) : [next, ...rest] });
  }

  private patch(channelId: string, f: (v: ChannelView) => Partial<ChannelView>): void {
    const v = this.snap.channels.find((x) => x.channelId === channelId);
    if (v) {
      this.upsert({ ...v, ...f(v) });
    }
  }

  private async onReady(r: Ready): Promise<void> {
    const serverReadState = r.protocolVersion !== undefined || r.channels.some((c) => c.unreadCount !== undefined);
    this.set({ serverReadState, error: undefined });
    for (const c of r.channels) {
      this.upsert({ channelId: c.channelId, channelType: c.channelType, lastSeq: c.lastSeq, ...(c.unreadCount !== undefined ? { unread: c.unreadCount } : {}) });
    }
    const members = new Set<string>([r.userId]);
    await Promise.all(
      r.channels.map(async (c) => {
        const ch = await this.client.getChannel(c.channelId);
        ch.memberIds.forEach((m) => members.add(m));
        const readState = Object.fromEntries((ch.readState ?? []).map((s) => [s.userId, s.lastReadSeq]));
        this.upsert({ channelId: ch.channelId, channelType: ch.channelType, memberIds: ch.memberIds, readState, ...(ch.name ? { name: ch.name } : {}) });
      }),
    ).catch((e: Error) => this.set({ error: e.message }));
    await this.learnUsers([...members]);
    if (this.snap.selected) {
      this.markSeen(this.snap.selected);
    }
  }

  // learnUsers fetches names and presence of users the page has not seen.
  private async learnUsers(ids: string[]): Promise<void> {
    const fresh = ids.filter((id) => !(id in this.snap.names));
    if (fresh.length === 0) {
      return;
    }
    try {
      const [users, presence] = await Promise.all([this.client.getUsers(fresh), this.client.getPresence(fresh)]);
      this.set({
        names: { ...this.snap.names, ...Object.fromEntries(users.users.map((u) => [u.userId, u.name])) },
        presence: { ...this.snap.presence, ...Object.fromEntries(presence.users.map((p) => [p.userId, p.status])) },
      });
    } catch (e) {
      this.set({ error: (e as Error).message });
    }
  }

  private onMessage(m: Delivered): void {
    this.merge(m.channelId, [m]);
    const open = this.snap.selected === m.channelId && document.visibilityState === "visible";
    this.patch(m.channelId, (v) => ({
      lastSeq: Math.max(v.lastSeq, m.seq),
      unread: this.snap.serverReadState || open || m.senderId === this.snap.me ? v.unread : v.unread + 1,
    }));
    const t = this.snap.typing[m.channelId];
    if (t && m.senderId in t) {
      const { [m.senderId]: _, ...rest } = t;
      this.set({ typing: { ...this.snap.typing, [m.channelId]: rest } });
    }
    if (this.snap.serverReadState) {
      this.syncUnread(m.channelId);
      if (open) {
        void this.client.markRead(m.channelId, m.seq).then(() => this.syncUnread(m.channelId), () => undefined);
      }
    }
  }

  private syncUnread(channelId: string): void {
    const info = this.client.channels.find((c) => c.channelId === channelId);
    if (info?.unreadCount !== undefined) {
      this.patch(channelId, () => ({ unread: info.unreadCount ?? 0 }));
    }
  }

  private merge(channelId: string, ms: Message[]): void {
    const bySeq = new Map((this.snap.messages[channelId] ?? []).map((m) => [m.seq, m]));
    for (const m of ms) {
      bySeq.set(m.seq, m);
    }
    const list = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
    this.set({ messages: { ...this.snap.messages, [channelId]: list } });
  }

  private onTyping(channelId: string, userId: string): void {
    const until = Date.now() + TYPING_SHOWN_MS;
    this.set({ typing: { ...this.snap.typing, [channelId]: { ...this.snap.typing[channelId], [userId]: until } } });
    setTimeout(() => {
      const t = this.snap.typing[channelId];
      if (t?.[userId] === until) {
        const { [userId]: _, ...rest } = t;
        this.set({ typing: { ...this.snap.typing, [channelId]: rest } });
      }
    }, TYPING_SHOWN_MS);
  }

  select(channelId: string): void {
    this.set({ selected: channelId });
    this.markSeen(channelId);
    if (!(channelId in this.snap.olderAvailable)) {
      void this.loadOlder(channelId);
    }
  }

  private markSeen(channelId: string): void {
    const v = this.snap.channels.find((x) => x.channelId === channelId);
    if (!v) {
      return;
    }
    if (!this.snap.serverReadState) {
      this.patch(channelId, () => ({ unread: 0 }));
      return;
    }
    if (v.lastSeq > 0 && v.unread > 0) {
      void this.client.markRead(channelId, v.lastSeq).then(() => this.syncUnread(channelId), (e: Error) => this.set({ error: e.message }));
    }
  }

  // loadOlder reads the page of history before the oldest message shown.
  async loadOlder(channelId: string): Promise<void> {
    if (this.loadingOlder.has(channelId) || this.snap.olderAvailable[channelId] === false) {
      return;
    }
    const shown = this.snap.messages[channelId] ?? [];
    const v = this.snap.channels.find((x) => x.channelId === channelId);
    const before = shown[0]?.seq ?? (v ? v.lastSeq + 1 : 1);
    if (before <= 1) {
      this.set({ olderAvailable: { ...this.snap.olderAvailable, [channelId]: false } });
      return;
    }
    this.loadingOlder.add(channelId);
    try {
      const page = await this.client.getMessages({ channelId, beforeSeq: before, limit: PAGE });
      this.merge(channelId, page.messages);
      this.set({ olderAvailable: { ...this.snap.olderAvailable, [channelId]: page.hasMore } });
    } catch (e) {
      this.set({ error: (e as Error).message });
    } finally {
      this.loadingOlder.delete(channelId);
    }
  }

  async send(body: string): Promise<void> {
    const channelId = this.snap.selected;
    if (!channelId || body.trim() === "") {
      return;
    }
    try {
      await this.client.sendMessage(channelId, body);
    } catch (e) {
      this.set({ error: (e as Error).message });
    }
  }

  typingNow(): void {
    if (this.snap.selected) {
      this.client.typing(this.snap.selected);
    }
  }

  async createDirect(userId: string): Promise<void> {
    await this.create(() => this.client.createChannel({ channelType: "direct", memberIds: [userId] }));
  }

  async createGroup(name: string, memberIds: string[]): Promise<void> {
    await this.create(() => this.client.createChannel({ channelType: "group", memberIds, ...(name ? { name } : {}) }));
  }

  private async create(f: () => Promise<{ channelId: string }>): Promise<void> {
    try {
      const ch = await f();
      this.select(ch.channelId);
      this.set({ error: undefined });
    } catch (e) {
      this.set({ error: (e as Error).message });
    }
  }
}

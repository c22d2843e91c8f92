import type { Message } from "./protocol.js";

// A delivered message: message_sent replies carry the sender's clientMessageId.
export type Delivered = Message & { clientMessageId?: string };

// How many delivered message ids each channel remembers to drop repeats by.
const RECENT_IDS = 512;

// ChannelStream turns what arrives for one channel (live events, replies to
// our own sends, catch-up pages, in any order and possibly twice) into the
// sequence the application sees: every seq once, ascending, no holes.
export class ChannelStream {
  private readonly pending = new Map<number, Delivered>();
  private readonly recent: string[] = [];
  private readonly recentSet = new Set<string>();

  // cursor is the seq of the last message delivered (0: none yet).
  constructor(public cursor: number) {}

  // offer takes one message and returns the ones now deliverable, in order.
  offer(m: Delivered): Delivered[] {
    if (m.seq <= this.cursor || this.recentSet.has(m.messageId) || this.pending.has(m.seq)) {
      return [];
    }
    this.pending.set(m.seq, m);
    const out: Delivered[] = [];
    for (let next = this.pending.get(this.cursor + 1); next; next = this.pending.get(this.cursor + 1)) {
      this.pending.delete(next.seq);
      this.cursor = next.seq;
      this.remember(next.messageId);
      out.push(next);
    }
    return out;
  }

  // hasGap: something newer than cursor+1 is held back waiting for the gap
  // before it to be filled with get_messages.
  hasGap(): boolean {
    return this.pending.size > 0;
  }

  private remember(id: string): void {
    this.recent.push(id);
    this.recentSet.add(id);
    if (this.recent.length > RECENT_IDS) {
      this.recentSet.delete(this.recent.shift() as string);
    }
  }
}

"use client";
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { channelTitle } from "@/components/channel-list";
import { PresenceDot } from "@/components/presence-dot";
import type { ChatStore, Snapshot } from "@/lib/store";
import { cn } from "@/lib/utils";

// Conversation is the open channel: members, messages (older ones loaded
// when scrolled to the top), "read by" marks, typing and the composer.
export function Conversation({ store, snap, channelId }: { store: ChatStore; snap: Snapshot; channelId: string }) {
  const v = snap.channels.find((c) => c.channelId === channelId);
  const messages = snap.messages[channelId] ?? [];
  const list = useRef<HTMLOListElement>(null);
  const pinned = useRef(true);
  const prevHeight = useRef(0);
  const prevFirst = useRef<number | undefined>(undefined);
  const [draft, setDraft] = useState("");

  // Keep the view at the bottom for new messages, and in place when older
  // ones are put on top.
  useLayoutEffect(() => {
    const el = list.current;
    if (!el) {
      return;
    }
    const first = messages[0]?.seq;
    if (prevFirst.current !== undefined && first !== undefined && first < prevFirst.current) {
      el.scrollTop += el.scrollHeight - prevHeight.current;
    } else if (pinned.current) {
      el.scrollTop = el.scrollHeight;
    }
    prevFirst.current = first;
    prevHeight.current = el.scrollHeight;
  }, [messages]);

  useEffect(() => {
    pinned.current = true;
    prevFirst.current = undefined;
  }, [channelId]);

  if (!v) {
    return null;
  }
  const title = channelTitle(v, snap);
  const others = v.memberIds.filter((m) => m !== snap.me);
  const typists = Object.keys(snap.typing[channelId] ?? {}).filter((u) => u !== snap.me);
  // "Read by": on the newest own message each other member has read.
  const readBy = new Map<number, string[]>();
  for (const u of others) {
    const upTo = v.readState[u];
    const own = upTo === undefined ? undefined : [...messages].reverse().find((m) => m.senderId === snap.me && m.seq <= upTo);
    if (own) {
      readBy.set(own.seq, [...(readBy.get(own.seq) ?? []), snap.names[u] ?? u]);
    }
  }

  return (
    <section aria-label={`Chat: ${title}`} className="flex min-h-0 flex-1 flex-col">
      <header className="flex items-center gap-3 border-b px-4 py-3">
        <h2 className="truncate font-semibold">{title}</h2>
        <ul aria-label="Members" className="flex flex-wrap items-center gap-3 text-xs text-muted-foreground">
          {others.map((u) => (
            <li key={u} className="flex items-center gap-1">
              <PresenceDot userId={u} status={snap.presence[u]} name={snap.names[u] ?? u} />
              {snap.names[u] ?? u}
            </li>
          ))}
        </ul>
      </header>
      <ol
        ref={list}
        aria-label="Messages"
        aria-live="polite"
        tabIndex={0}
        className="min-h-0 flex-1 space-y-2 overflow-y-auto p-4 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
        onScroll={(e) => {
          const el = e.currentTarget;
          pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
          if (el.scrollTop < 40) {
            void store.loadOlder(channelId);
          }
        }}
      >
        {snap.olderAvailable[channelId] && (
          <li className="text-center">
            <Button variant="ghost" size="sm" onClick={() => void store.loadOlder(channelId)}>
              Load older messages
            </Button>
          </li>
        )}
        {messages.map((m) => {
          const mine = m.senderId === snap.me;
          const readers = readBy.get(m.seq);
          return (
            <li key={m.seq} data-testid="message-item" data-seq={m.seq} className={cn("flex flex-col", mine ? "items-end" : "items-start")}>
              <span className="text-xs text-muted-foreground">
                {mine ? "You" : (snap.names[m.senderId] ?? m.senderId)} · <time dateTime={m.createdAt}>{new Date(m.createdAt).toLocaleTimeString()}</time>
              </span>
              <p className={cn("max-w-[75%] whitespace-pre-wrap break-words rounded-lg px-3 py-2 text-sm", mine ? "bg-primary text-primary-foreground" : "bg-muted")}>{m.body}</p>
              {readers && <span className="text-xs text-muted-foreground">✓✓ Read by {readers.join(", ")}</span>}
            </li>
          );
        })}
      </ol>
      <div className="h-5 px-4 text-xs italic text-muted-foreground">
        {typists.length > 0 && (
          <span data-testid="typing-indicator" role="status">
            {typists.map((u) => snap.names[u] ?? u).join(", ")} {typists.length === 1 ? "is" : "are"} typing…
          </span>
        )}
      </div>
      <form
        className="flex gap-2 border-t p-3"
        aria-label="Send a message"
        onSubmit={(e) => {
          e.preventDefault();
          const body = draft;
          setDraft("");
          pinned.current = true;
          void store.send(body);
        }}
      >
        <label htmlFor="composer" className="sr-only">
          Message
        </label>
        <Input
          id="composer"
          data-testid="composer-input"
          placeholder={`Message ${title}`}
          maxLength={1000}
          autoComplete="off"
          value={draft}
          onChange={(e) => {
            setDraft(e.target.value);
            store.typingNow();
          }}
        />
        <Button type="submit" data-testid="composer-send" disabled={draft.trim() === ""}>
          Send
        </Button>
      </form>
    </section>
  );
}

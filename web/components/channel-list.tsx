"use client";
import { Badge } from "@/components/ui/badge";
import { PresenceDot } from "@/components/presence-dot";
import type { ChannelView, ChatStore, Snapshot } from "@/lib/store";
import { cn } from "@/lib/utils";

export function channelTitle(v: ChannelView, s: Snapshot): string {
  if (v.channelType === "direct") {
    const other = v.memberIds.find((m) => m !== s.me);
    return other ? (s.names[other] ?? other) : "Direct chat";
  }
  return v.name ?? `Group of ${v.memberIds.length}`;
}

export function ChannelList({ store, snap }: { store: ChatStore; snap: Snapshot }) {
  if (snap.channels.length === 0) {
    return <p className="p-3 text-sm text-muted-foreground">No chats yet: start one above.</p>;
  }
  return (
    <nav aria-label="Chats" className="min-h-0 flex-1 overflow-y-auto">
      <ul className="space-y-0.5 p-2">
        {snap.channels.map((v) => {
          const title = channelTitle(v, snap);
          const other = v.channelType === "direct" ? v.memberIds.find((m) => m !== snap.me) : undefined;
          const selected = snap.selected === v.channelId;
          return (
            <li key={v.channelId}>
              <button
                type="button"
                data-testid="channel-item"
                data-channel-id={v.channelId}
                aria-current={selected ? "true" : undefined}
                aria-label={`${title}${v.unread > 0 ? `, ${v.unread} unread` : ""}`}
                onClick={() => store.select(v.channelId)}
                className={cn(
                  "flex w-full items-center gap-2 rounded-md px-2 py-2 text-left text-sm hover:bg-accent focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring",
                  selected && "bg-accent font-medium",
                )}
              >
                {other !== undefined ? <PresenceDot userId={other} status={snap.presence[other]} name={title} /> : <span aria-hidden className="w-2.5 text-xs text-muted-foreground">#</span>}
                <span className="min-w-0 flex-1 truncate">{title}</span>
                {v.unread > 0 && (
                  <Badge data-testid="unread-badge" aria-hidden>
                    {v.unread}
                  </Badge>
                )}
              </button>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

"use client";
import { useEffect, useState, useSyncExternalStore } from "react";
import { Button } from "@/components/ui/button";
import { ChannelList } from "@/components/channel-list";
import { ConnectionStatus } from "@/components/connection-status";
import { Conversation } from "@/components/conversation";
import { NewChat } from "@/components/new-chat";
import type { Session } from "@/lib/session";
import { ChatStore } from "@/lib/store";

export function Chat({ session, onSignOut }: { session: Session; onSignOut?: () => void }) {
  // One store (one connection) per mount: React may mount twice in
  // development, and a closed client does not start again.
  const [store, setStore] = useState<ChatStore>();
  useEffect(() => {
    const s = new ChatStore(session);
    setStore(s);
    s.start();
    return () => s.stop();
  }, [session]);
  return store ? <ChatView store={store} {...(onSignOut ? { onSignOut } : {})} /> : null;
}

function ChatView({ store, onSignOut }: { store: ChatStore; onSignOut?: () => void }) {
  const snap = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);

  return (
    <div className="flex h-full">
      <aside aria-label="Chats and new chats" className="flex w-72 shrink-0 flex-col border-r">
        <div className="space-y-2 border-b p-3">
          <div className="flex items-center justify-between gap-2">
            <span className="truncate text-sm font-semibold" title={snap.me}>
              {snap.names[snap.me] ?? snap.me}
            </span>
            {onSignOut && (
              <Button variant="ghost" size="sm" onClick={onSignOut}>
                Sign out
              </Button>
            )}
          </div>
          <ConnectionStatus state={snap.connection} />
        </div>
        <NewChat store={store} />
        <ChannelList store={store} snap={snap} />
      </aside>
      <main className="flex min-w-0 flex-1 flex-col">
        {snap.error && (
          <p role="alert" className="border-b bg-red-50 px-4 py-2 text-sm text-destructive">
            {snap.error}
          </p>
        )}
        {snap.selected ? (
          <Conversation key={snap.selected} store={store} snap={snap} channelId={snap.selected} />
        ) : (
          <p className="m-auto text-sm text-muted-foreground">Pick a chat, or start one.</p>
        )}
      </main>
    </div>
  );
}

import type { PresenceStatus } from "@chatd/client";
import { cn } from "@/lib/utils";

export function PresenceDot({ userId, status, name }: { userId: string; status: PresenceStatus | undefined; name: string }) {
  const s = status ?? "offline";
  return (
    <span
      data-testid="presence-dot"
      data-user-id={userId}
      data-status={s}
      role="img"
      aria-label={`${name} is ${s}`}
      title={`${name}: ${s}`}
      className={cn("inline-block h-2.5 w-2.5 shrink-0 rounded-full", s === "online" ? "bg-emerald-500" : "bg-zinc-300")}
    />
  );
}

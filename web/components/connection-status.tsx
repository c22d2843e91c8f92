import type { ConnectionState } from "@chatd/client";
import { Badge } from "@/components/ui/badge";

// The connection as the user should see it; data-state is connected,
// reconnecting, connecting or closed.
export function ConnectionStatus({ state }: { state: ConnectionState }) {
  let label: string;
  let dataState: string;
  let variant: "secondary" | "warning" | "default" = "secondary";
  switch (state.state) {
    case "connected":
      [label, dataState] = ["Connected", "connected"];
      break;
    case "reconnecting":
      [label, dataState, variant] = [`Reconnecting… (${state.reason.code}${state.reason.reason ? `: ${state.reason.reason}` : ""})`, "reconnecting", "warning"];
      break;
    case "closed":
      [label, dataState, variant] = [`Disconnected${state.error ? `: ${state.error.message}` : ""}`, "closed", "default"];
      break;
    default:
      [label, dataState] = ["Connecting…", "connecting"];
  }
  return (
    <Badge data-testid="connection-status" data-state={dataState} role="status" aria-live="polite" variant={variant} className="max-w-full truncate">
      {label}
    </Badge>
  );
}

"use client";
import { useEffect, useState } from "react";
import { Chat } from "@/components/chat";
import { SignIn } from "@/components/sign-in";
import { fromHost, signOut, stored, type Session } from "@/lib/session";

export default function Page() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [hosted, setHosted] = useState(false);
  useEffect(() => {
    const host = fromHost();
    setHosted(host !== undefined);
    setSession(host ?? stored() ?? null);
  }, []);

  if (session === undefined) {
    return null; // reading the browser's storage, a moment after load
  }
  if (session === null) {
    return <SignIn onSession={setSession} />;
  }
  return (
    <Chat
      key={session.userId}
      session={session}
      {...(hosted
        ? {}
        : {
            onSignOut: () => {
              signOut();
              setSession(null);
            },
          })}
    />
  );
}

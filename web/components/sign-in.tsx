"use client";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { signIn, type Session } from "@/lib/session";

// SignIn is the development sign-in: the admin token `make run` prints and
// a user id (created when missing).
export function SignIn({ onSession }: { onSession: (s: Session) => void }) {
  const [adminToken, setAdminToken] = useState("");
  const [userId, setUserId] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSession(await signIn(adminToken.trim(), userId.trim()));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="flex h-full items-center justify-center bg-muted p-4">
      <Card className="w-full max-w-sm">
        <CardHeader>
          <CardTitle>Sign in to chatd</CardTitle>
          <CardDescription>Development sign-in: the admin token that make run printed, and any user id.</CardDescription>
        </CardHeader>
        <CardContent>
          <form className="space-y-4" onSubmit={submit}>
            <div className="space-y-2">
              <Label htmlFor="admin-token">Admin token</Label>
              <Input id="admin-token" data-testid="signin-admin-token" type="password" autoComplete="off" required value={adminToken} onChange={(e) => setAdminToken(e.target.value)} />
            </div>
            <div className="space-y-2">
              <Label htmlFor="user-id">User id</Label>
              <Input id="user-id" data-testid="signin-user" required maxLength={64} value={userId} onChange={(e) => setUserId(e.target.value)} placeholder="aiko" />
            </div>
            {error && (
              <p role="alert" className="text-sm text-destructive">
                {error}
              </p>
            )}
            <Button type="submit" data-testid="signin-submit" className="w-full" disabled={busy}>
              {busy ? "Signing in…" : "Sign in"}
            </Button>
          </form>
        </CardContent>
      </Card>
    </main>
  );
}

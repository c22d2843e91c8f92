"use client";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import type { ChatStore } from "@/lib/store";

export function NewChat({ store }: { store: ChatStore }) {
  const [direct, setDirect] = useState("");
  const [group, setGroup] = useState("");
  const [members, setMembers] = useState("");

  return (
    <div className="space-y-4 border-b p-3">
      <form
        className="space-y-1.5"
        aria-label="New direct chat"
        onSubmit={(e) => {
          e.preventDefault();
          if (direct.trim()) {
            void store.createDirect(direct.trim()).then(() => setDirect(""));
          }
        }}
      >
        <Label htmlFor="new-direct-user">New direct chat with</Label>
        <div className="flex gap-2">
          <Input id="new-direct-user" data-testid="new-direct-user" placeholder="user id" value={direct} onChange={(e) => setDirect(e.target.value)} />
          <Button type="submit" size="sm" data-testid="new-direct-submit" className="h-9">
            Start
          </Button>
        </div>
      </form>
      <form
        className="space-y-1.5"
        aria-label="New group chat"
        onSubmit={(e) => {
          e.preventDefault();
          const ids = members.split(",").map((s) => s.trim()).filter(Boolean);
          void store.createGroup(group.trim(), ids).then(() => {
            setGroup("");
            setMembers("");
          });
        }}
      >
        <Label htmlFor="new-group-name">New group</Label>
        <Input id="new-group-name" data-testid="new-group-name" placeholder="name" value={group} onChange={(e) => setGroup(e.target.value)} />
        <Label htmlFor="new-group-members" className="sr-only">
          Members, comma-separated user ids
        </Label>
        <div className="flex gap-2">
          <Input id="new-group-members" data-testid="new-group-members" placeholder="members: ben, chie" value={members} onChange={(e) => setMembers(e.target.value)} />
          <Button type="submit" size="sm" variant="secondary" data-testid="new-group-submit" className="h-9">
            Create
          </Button>
        </div>
      </form>
    </div>
  );
}

// Protocol v1.1: read state and typing, against the fake socket (the
// server gains them later; the e2e tests cover what it serves today).
import assert from "node:assert/strict";
import { test } from "node:test";
import { ChatClient, type ReadUpdated, type TypingEvent } from "../../src/index.js";
import { FakeServer, msg, ready, until } from "./fake.js";

async function connected() {
  const server = new FakeServer();
  const client = new ChatClient({ url: "ws://n/ws", token: "t", webSocket: server.factory });
  client.connect();
  await until("socket", () => server.sockets.length === 1);
  server.current.push(
    "ready",
    ready([{ channelId: "c", channelType: "direct", lastSeq: 7, lastReadSeq: 4, unreadCount: 3 }], { protocolVersion: "1.1" }),
  );
  return { server, client };
}

test("ready's read state and protocolVersion are exposed", async () => {
  const { client } = await connected();
  assert.equal(client.ready?.protocolVersion, "1.1");
  assert.deepEqual(client.channels, [{ channelId: "c", channelType: "direct", lastSeq: 7, lastReadSeq: 4, unreadCount: 3 }]);
  client.close();
});

test("mark_read resolves with read_marked and clears the unread count", async () => {
  const { server, client } = await connected();
  const p = client.markRead("c", 7);
  const f = server.current.last("mark_read");
  assert.deepEqual(f.payload, { channelId: "c", seq: 7 });
  server.current.push("read_marked", { channelId: "c", lastReadSeq: 7 }, f.requestId);
  assert.deepEqual(await p, { channelId: "c", lastReadSeq: 7 });
  assert.equal(client.channels[0]?.unreadCount, 0);
  client.close();
});

test("new messages raise the unread count; read_updated of another device syncs it", async () => {
  const { server, client } = await connected();
  const updates: ReadUpdated[] = [];
  client.on("read_updated", (u) => updates.push(u));
  server.current.push("message_received", msg("c", 8));
  await until("delivery", () => client.channels[0]?.lastSeq === 8);
  assert.equal(client.channels[0]?.unreadCount, 4);
  server.current.push("read_updated", { channelId: "c", userId: "me", lastReadSeq: 8 });
  assert.equal(client.channels[0]?.unreadCount, 0);
  server.current.push("read_updated", { channelId: "c", userId: "other", lastReadSeq: 6 });
  assert.deepEqual(updates.map((u) => u.userId), ["me", "other"]);
  assert.equal(client.channels[0]?.lastReadSeq, 8, "another member's receipt is not ours");
  client.close();
});

test("get_channel carries readState and the caller's read state", async () => {
  const { server, client } = await connected();
  const p = client.getChannel("c");
  const f = server.current.last("get_channel");
  const channel = {
    channelId: "c", channelType: "direct", memberIds: ["me", "other"], lastSeq: 9, createdAt: "2026-01-01T00:00:00.000Z",
    lastReadSeq: 9, unreadCount: 0, readState: [{ userId: "me", lastReadSeq: 9 }, { userId: "other", lastReadSeq: 5 }],
  };
  server.current.push("channel", channel, f.requestId);
  assert.deepEqual((await p).readState, channel.readState);
  assert.equal(client.channels[0]?.unreadCount, 0);
  client.close();
});

test("typing goes out without requestId, at most once per 2 s per channel; typing events are emitted", async () => {
  const { server, client } = await connected();
  const seen: TypingEvent[] = [];
  client.on("typing", (t) => seen.push(t));
  client.typing("c");
  client.typing("c");
  client.typing("d");
  const typing = server.current.sent.filter((f) => f.type === "typing");
  assert.deepEqual(typing, [{ type: "typing", payload: { channelId: "c" } }, { type: "typing", payload: { channelId: "d" } }]);
  server.current.push("typing", { channelId: "c", userId: "other" });
  assert.deepEqual(seen, [{ channelId: "c", userId: "other" }]);
  client.close();
});

test("an error answering no command (a refused typing) is emitted as an error event", async () => {
  const { server, client } = await connected();
  const errors: string[] = [];
  client.on("error", (e) => errors.push(e.code));
  server.current.push("error", { code: "forbidden", message: "not a member", command: "typing" });
  assert.deepEqual(errors, ["forbidden"]);
  client.close();
});

test("a channel created after ready starts with nothing unread, then counts new messages", async () => {
  const { server, client } = await connected();
  server.current.push("channel_created", { channelId: "n", channelType: "group", memberIds: ["me", "other"], createdAt: "2026-01-01T00:00:00.000Z" });
  server.current.push("message_received", msg("n", 1));
  await until("delivery", () => client.channels.find((c) => c.channelId === "n")?.lastSeq === 1);
  assert.equal(client.channels.find((c) => c.channelId === "n")?.unreadCount, 1);
  client.close();
});

test("typing sends nothing to a server older than v1.1", async () => {
  const server = new FakeServer();
  const client = new ChatClient({ url: "ws://n/ws", token: "t", webSocket: server.factory });
  client.connect();
  await until("socket", () => server.sockets.length === 1);
  server.current.push("ready", ready([{ channelId: "c", channelType: "direct", lastSeq: 0 }]));
  client.typing("c");
  assert.deepEqual(server.current.sent.filter((f) => f.type === "typing"), []);
  client.close();
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { ChatClient, ChatError, ClosedError, ConnectionLostError, type ConnectionState, type Delivered } from "../../src/index.js";
import { FakeServer, msg, ready, until } from "./fake.js";

function setup(extra: Partial<ConstructorParameters<typeof ChatClient>[0]> = {}) {
  const server = new FakeServer();
  const client = new ChatClient({ url: "ws://node-a/ws", token: "t1", webSocket: server.factory, backoff: { initialMs: 5, maxMs: 20 }, ...extra });
  const got: Delivered[] = [];
  const states: ConnectionState[] = [];
  client.on("message", (m) => got.push(m));
  client.on("state", (s) => states.push(s));
  client.connect();
  return { server, client, got, states };
}

const seqs = (got: Delivered[]) => got.map((m) => m.seq);

test("connects with the token in the query and reports connected", async () => {
  const { server, client, states } = setup();
  await until("socket", () => server.sockets.length === 1);
  assert.equal(server.current.url, "ws://node-a/ws?access_token=t1");
  server.current.push("ready", ready());
  assert.deepEqual(client.state, { state: "connected", nodeId: "n1", sessionId: "s1" });
  assert.deepEqual(states.map((s) => s.state), ["connecting", "connected"]);
  assert.equal(server.current.last("heartbeat").type, "heartbeat", "a heartbeat goes out at once");
  client.close();
});

test("pipelined commands resolve by requestId in whatever order replies come", async () => {
  const { server, client } = setup();
  await until("socket", () => server.sockets.length === 1);
  server.current.push("ready", ready());
  const a = client.getUsers(["a"]);
  const b = client.getUsers(["b"]);
  const [fa, fb] = server.current.sent.filter((f) => f.type === "get_users");
  server.current.push("users", { users: [{ userId: "b", name: "B" }] }, fb?.requestId);
  server.current.push("users", { users: [{ userId: "a", name: "A" }] }, fa?.requestId);
  assert.equal((await a).users[0]?.userId, "a");
  assert.equal((await b).users[0]?.userId, "b");
  client.close();
});

test("a hole in live seq is filled with get_messages; each seq delivered once, in order", async () => {
  const { server, client, got } = setup();
  await until("socket", () => server.sockets.length === 1);
  server.current.push("ready", ready([{ channelId: "c", channelType: "direct", lastSeq: 1 }]));
  server.current.push("message_received", msg("c", 2));
  server.current.push("message_received", msg("c", 5));
  const fill = server.current.last("get_messages");
  assert.deepEqual(fill.payload, { channelId: "c", afterSeq: 2, limit: 100 });
  server.current.push("message_received", msg("c", 3));
  server.current.push("messages", { channelId: "c", messages: [msg("c", 3), msg("c", 4), msg("c", 5)], hasMore: false }, fill.requestId);
  await until("delivery", () => got.length === 4);
  server.current.push("message_received", msg("c", 4));
  assert.deepEqual(seqs(got), [2, 3, 4, 5]);
  client.close();
});

test("after a 1012 restart the client backs off, reconnects and catches up from its last seq", async () => {
  const { server, client, got, states } = setup();
  await until("socket", () => server.sockets.length === 1);
  server.current.push("ready", ready([{ channelId: "c", channelType: "group", lastSeq: 0 }]));
  server.current.push("message_received", msg("c", 1));
  server.current.drop(1012, "restart");
  const r = states.find((s) => s.state === "reconnecting");
  assert.ok(r && r.state === "reconnecting" && r.reason.code === 1012 && r.delayMs > 0, JSON.stringify(r));
  await until("second socket", () => server.sockets.length === 2);
  server.current.push("ready", ready([{ channelId: "c", channelType: "group", lastSeq: 3 }]));
  const q = server.current.last("get_messages");
  assert.deepEqual(q.payload, { channelId: "c", afterSeq: 1, limit: 100 });
  server.current.push("messages", { channelId: "c", messages: [msg("c", 1), msg("c", 2), msg("c", 3)], hasMore: false }, q.requestId);
  await until("catch-up", () => got.length === 3);
  assert.deepEqual(seqs(got), [1, 2, 3]);
  client.close();
});

test("4010 goes straight to the URL in the reason", async () => {
  const { server, client } = setup();
  await until("socket", () => server.sockets.length === 1);
  server.current.drop(4010, "ws://node-b/ws");
  await until("redirected socket", () => server.sockets.length === 2);
  assert.equal(server.current.url, "ws://node-b/ws?access_token=t1");
  server.current.push("ready", ready([], { nodeId: "n2" }));
  assert.equal(client.state.state === "connected" && client.state.nodeId, "n2");
  client.close();
});

test("4001 asks for a new token and connects with it", async () => {
  let calls = 0;
  const { server, client } = setup({ refreshToken: async () => `t${++calls + 1}` });
  await until("socket", () => server.sockets.length === 1);
  server.current.push("ready", ready());
  server.current.drop(4001, "token expired");
  await until("new socket", () => server.sockets.length === 2);
  assert.equal(calls, 1);
  assert.equal(server.current.url, "ws://node-a/ws?access_token=t2");
  client.close();
});

test("terminal close codes stop the client with an error", async () => {
  for (const code of [4001, 1009, 1007, 1000]) {
    const { server, client } = setup();
    await until("socket", () => server.sockets.length === 1);
    const pending = assert.rejects(client.getUsers(["x"]), ClosedError);
    server.current.drop(code, "bye");
    await until("closed", () => client.state.state === "closed");
    const err = client.state.state === "closed" ? client.state.error : undefined;
    assert.ok(err instanceof ClosedError && err.code === code, String(err));
    await pending;
    assert.equal(server.sockets.length, 1, "no reconnect after a terminal code");
  }
});

test("rate_limited is retried after retryAfterMs with the same clientMessageId", async () => {
  const { server, client, got } = setup();
  await until("socket", () => server.sockets.length === 1);
  server.current.push("ready", ready([{ channelId: "c", channelType: "group", lastSeq: 0 }]));
  const sent = client.sendMessage("c", "hi");
  const first = server.current.last("send_message");
  server.current.push("error", { code: "rate_limited", message: "slow down", retryAfterMs: 30 }, first.requestId);
  await until("retry", () => server.current.sent.filter((f) => f.type === "send_message").length === 2);
  const second = server.current.last("send_message");
  assert.notEqual(second.requestId, first.requestId);
  assert.deepEqual(second.payload, first.payload);
  server.current.push("message_sent", { ...msg("c", 1, { senderId: "me" }), clientMessageId: (first.payload as { clientMessageId: string }).clientMessageId }, second.requestId);
  assert.equal((await sent).seq, 1);
  assert.deepEqual(seqs(got), [1], "the own message is delivered on the stream too");
  client.close();
});

test("other errors reject with a typed ChatError carrying the code", async () => {
  const { server, client } = setup();
  await until("socket", () => server.sockets.length === 1);
  server.current.push("ready", ready());
  const p = client.getChannel("nope");
  server.current.push("error", { code: "not_found", message: "no such channel", command: "get_channel" }, server.current.last("get_channel").requestId);
  await assert.rejects(p, (e: unknown) => e instanceof ChatError && e.code === "not_found" && e.command === "get_channel");
  client.close();
});

test("on a dropped connection, sends are repeated on the next one and group creations fail", async () => {
  const { server, client } = setup();
  await until("socket", () => server.sockets.length === 1);
  server.current.push("ready", ready());
  const send = client.sendMessage("c", "hi", "cm-1");
  const group = client.createChannel({ channelType: "group", name: "g" });
  server.current.drop(1006);
  await assert.rejects(group, ConnectionLostError);
  await until("second socket", () => server.sockets.length === 2);
  server.current.push("ready", ready([{ channelId: "c", channelType: "group", lastSeq: 0 }]));
  const again = server.current.last("send_message");
  assert.deepEqual(again.payload, { channelId: "c", body: "hi", clientMessageId: "cm-1" });
  server.current.push("message_sent", { ...msg("c", 1), clientMessageId: "cm-1" }, again.requestId);
  assert.equal((await send).clientMessageId, "cm-1");
  client.close();
});

test("a heartbeat without ack within the interval drops the link and reconnects", async () => {
  const { server, client, states } = setup();
  await until("socket", () => server.sockets.length === 1);
  server.current.push("ready", ready([], { heartbeatIntervalMs: 20 }));
  await until("reconnect", () => server.sockets.length === 2);
  assert.ok(server.sockets[0]?.closed);
  assert.ok(states.some((s) => s.state === "reconnecting" && s.reason.reason.includes("heartbeat_ack")));
  client.close();
});

test("acked heartbeats keep the connection", async () => {
  const { server, client } = setup();
  await until("socket", () => server.sockets.length === 1);
  server.current.push("ready", ready([], { heartbeatIntervalMs: 20 }));
  for (let i = 0; i < 4; i++) {
    const hb = server.current.last("heartbeat");
    server.current.push("heartbeat_ack", { serverTime: "2026-01-01T00:00:00.000Z" }, hb.requestId);
    await until("next heartbeat", () => server.current.last("heartbeat").requestId !== hb.requestId);
  }
  assert.equal(server.sockets.length, 1);
  client.close();
});

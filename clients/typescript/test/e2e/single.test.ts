// The SDK against one real chatd: send and receive, duplicate suppression,
// token refresh on 4001, and a restart of the server mid-stream.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Delivered } from "../../src/index.js";
import { Chatd, connected, freePort, inChannel, until, watch, type Watched } from "./harness.js";

let chatd: Chatd;
const open: Watched[] = [];

before(async () => {
  chatd = new Chatd(await freePort(), {});
  await chatd.start();
});

after(async () => {
  for (const w of open) {
    w.client.close();
  }
  await chatd.stop();
});

async function client(userId: string, extra: Partial<Parameters<typeof watch>[0]> = {}): Promise<Watched> {
  const w = watch({ baseUrl: chatd.base, token: await chatd.token(userId), ...extra });
  open.push(w);
  await connected(w);
  return w;
}

async function pair(a: string, b: string): Promise<{ alice: Watched; bob: Watched; channelId: string }> {
  const [ida, idb] = [await chatd.user(a), await chatd.user(b)];
  const alice = await client(ida);
  const bob = await client(idb);
  const created = await alice.client.createChannel({ channelType: "direct", memberIds: [idb] });
  return { alice, bob, channelId: created.channelId };
}

function assertOnceInOrder(got: Delivered[], n: number): void {
  assert.deepEqual(got.map((m) => m.seq), Array.from({ length: n }, (_, i) => i + 1));
  assert.equal(new Set(got.map((m) => m.messageId)).size, n, "every messageId once");
}

test("messages sent by one user reach the other once and in order, and the sender's own stream too", async () => {
  const { alice, bob, channelId } = await pair("send-a", "send-b");
  const sent = await Promise.all([1, 2, 3, 4, 5].map((i) => alice.client.sendMessage(channelId, `hello ${i}`)));
  assert.deepEqual(sent.map((m) => m.seq).sort(), [1, 2, 3, 4, 5]);
  await until("bob has 5", () => inChannel(bob, channelId).length === 5);
  assertOnceInOrder(inChannel(bob, channelId), 5);
  assertOnceInOrder(inChannel(alice, channelId), 5);
  assert.deepEqual(inChannel(bob, channelId).map((m) => m.body), sent.map((m) => m.body).sort((x, y) => Number(x.slice(6)) - Number(y.slice(6))));
});

test("a repeated clientMessageId is stored and delivered once", async () => {
  const { alice, bob, channelId } = await pair("dup-a", "dup-b");
  const first = await alice.client.sendMessage(channelId, "once", "same-id");
  const again = await alice.client.sendMessage(channelId, "once", "same-id");
  assert.equal(again.messageId, first.messageId);
  assert.equal(again.seq, first.seq);
  await alice.client.sendMessage(channelId, "after", "other-id");
  await until("bob has the second message", () => inChannel(bob, channelId).length >= 2);
  assert.deepEqual(inChannel(bob, channelId).map((m) => m.body), ["once", "after"]);
  assert.deepEqual(inChannel(alice, channelId).map((m) => m.body), ["once", "after"]);
});

test("a token that expires is replaced through refreshToken and the stream goes on", async () => {
  const [ida, idb] = [await chatd.user("tok-a"), await chatd.user("tok-b")];
  const alice = await client(ida);
  let refreshed = 0;
  const bob = await client(idb, {
    token: await chatd.token(idb, 2),
    refreshToken: async () => {
      refreshed++;
      return chatd.token(idb);
    },
  });
  const { channelId } = await alice.client.createChannel({ channelType: "direct", memberIds: [idb] });
  await alice.client.sendMessage(channelId, "before expiry");
  await until("the server closes with 4001", () => bob.states.some((s) => s.state === "reconnecting" && s.reason.code === 4001), 15_000);
  await connected(bob);
  assert.equal(refreshed, 1);
  await alice.client.sendMessage(channelId, "after refresh");
  await until("bob has both", () => inChannel(bob, channelId).length === 2);
  assert.deepEqual(inChannel(bob, channelId).map((m) => m.body), ["before expiry", "after refresh"]);
});

test("a server restart mid-stream: every message delivered once and in order afterwards", async () => {
  const { alice, bob, channelId } = await pair("rst-a", "rst-b");
  const total = 40;
  let sent = 0;
  // alice keeps sending through the restart; sends in flight when the
  // server goes away are repeated with their clientMessageId.
  const sending = (async () => {
    for (let i = 1; i <= total; i++) {
      await alice.client.sendMessage(channelId, `m${i}`);
      sent = i;
    }
  })();
  await until("some sent before the restart", () => sent >= 10);
  await chatd.stop();
  await until("bob sees the restart", () => bob.states.some((s) => s.state === "reconnecting" && s.reason.code === 1012));
  await chatd.start();
  await sending;
  await until(`bob has all ${total}`, () => inChannel(bob, channelId).length >= total);
  assertOnceInOrder(inChannel(bob, channelId), total);
  assertOnceInOrder(inChannel(alice, channelId), total);
  assert.deepEqual(inChannel(bob, channelId).map((m) => m.body), Array.from({ length: total }, (_, i) => `m${i + 1}`));
});

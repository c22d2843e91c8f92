// The SDK against two chatd nodes on one ring (etcd): a client that lands on
// the node that does not own its user is redirected with 4010 and follows.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CLUSTER_SECRET, Chatd, connected, freePort, inChannel, need, run, until, watch, type Watched } from "./harness.js";

const nodes: Chatd[] = [];
const open: Watched[] = [];

before(async () => {
  const etcd = need("CHAT_TEST_ETCD_ENDPOINTS");
  const shared = process.env.CHAT_TEST_KAFKA_BROKERS ? {} : { CHAT_EMBEDDED_KAFKA_ADDR: `127.0.0.1:${await freePort()}` };
  for (const name of ["a", "b"]) {
    const port = await freePort();
    const n = new Chatd(port, {
      ...shared,
      CHAT_NODE_ID: `sdk-${run}-${name}`,
      ETCD_ENDPOINTS: etcd,
      CHAT_ETCD_PREFIX: `/chatd-sdk-${run}/nodes/`,
      CHAT_CLUSTER_SECRET: CLUSTER_SECRET,
      CHAT_PUBLIC_WS_URL: `ws://127.0.0.1:${port}/ws`,
      CHAT_ETCD_LEASE_TTL: "2s",
      CHAT_NODE_GRACE: "10s",
    });
    await n.start(); // node b joins node a's development broker when there is no Kafka
    nodes.push(n);
  }
});

after(async () => {
  for (const w of open) {
    w.client.close();
  }
  for (const n of nodes.reverse()) {
    await n.stop();
  }
});

async function owner(base: string, token: string): Promise<{ url: string; nodeId: string }> {
  const res = await fetch(`${base}/v1/gateway`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  return (await res.json()) as { url: string; nodeId: string };
}

test("a client sent to the wrong node follows the 4010 redirect to the owner, then chats", async () => {
  const [a, b] = nodes as [Chatd, Chatd];
  // Ownership means something once both nodes see both registrations.
  for (const n of nodes) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const c = (await n.admin("GET", "/admin/v1/cluster")) as { nodes?: unknown[] };
      if ((c.nodes?.length ?? 0) >= 2) {
        break;
      }
      assert.ok(Date.now() < deadline, `node ${n.base} never saw two nodes: ${JSON.stringify(c)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  // Find a user that node b owns, and one that node a owns.
  let onB: { id: string; token: string } | undefined;
  let onA: { id: string; token: string } | undefined;
  for (let i = 0; i < 64 && !(onA && onB); i++) {
    const id = await a.user(`ring-${i}`);
    const token = await a.token(id);
    const o = await owner(a.base, token);
    if (o.url.includes(`:${b.port}/`)) {
      onB ??= { id, token };
    } else {
      onA ??= { id, token };
    }
  }
  assert.ok(onA && onB, "64 users all on one node");

  // Straight to node a, skipping discovery: a answers 4010 with b's URL.
  const moved = watch({ url: `ws://127.0.0.1:${a.port}/ws`, token: onB.token });
  const stay = watch({ baseUrl: a.base, token: onA.token });
  open.push(moved, stay);
  await connected(moved);
  await connected(stay);
  const redirect = moved.states.find((s) => s.state === "reconnecting");
  assert.ok(redirect && redirect.state === "reconnecting" && redirect.reason.code === 4010, JSON.stringify(moved.states));
  assert.equal(redirect.reason.reason, `ws://127.0.0.1:${b.port}/ws`);
  assert.equal(moved.client.state.state === "connected" && moved.client.state.nodeId, `sdk-${run}-b`);

  // Across the two nodes, both ways.
  const { channelId } = await stay.client.createChannel({ channelType: "direct", memberIds: [onB.id] });
  await stay.client.sendMessage(channelId, "from a");
  await until("channel on b", () => moved.client.channels.some((c) => c.channelId === channelId));
  await moved.client.sendMessage(channelId, "from b");
  await until("both sides have both", () => inChannel(moved, channelId).length === 2 && inChannel(stay, channelId).length === 2);
  assert.deepEqual(inChannel(moved, channelId).map((m) => m.body), ["from a", "from b"]);
  assert.deepEqual(inChannel(stay, channelId).map((m) => m.body), ["from a", "from b"]);
});

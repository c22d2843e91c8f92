// close() on a client whose socket is still connecting, with Node's `ws`
// (the WebSocket the SDK's Node users pass): `ws` reports such a close as
// an "error" event, which crashed the process when no handler was left.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Socket } from "node:net";
import { test } from "node:test";
import WebSocket from "ws";
import { ChatClient, type WebSocketLike } from "../../src/index.js";

test("close() while the socket is still connecting ends quietly", async () => {
  // A server that accepts TCP and never answers the upgrade: the client's
  // socket stays CONNECTING.
  const server = createServer();
  const accepted: Socket[] = [];
  server.on("connection", (s) => accepted.push(s));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  const uncaught: unknown[] = [];
  const record = (err: unknown) => uncaught.push(err);
  process.on("uncaughtException", record);
  try {
    const client = new ChatClient({
      url: `ws://127.0.0.1:${port}/ws`,
      token: "t",
      webSocket: (u: string) => new WebSocket(u) as unknown as WebSocketLike,
    });
    client.connect();
    while (accepted.length === 0) {
      await once(server, "connection");
    }
    client.close();
    // `ws` emits its error on the next tick, before the server can see
    // the connection end.
    await once(accepted[0]!, "close");
    assert.deepEqual(uncaught, [], "no error escaped close()");
  } finally {
    process.off("uncaughtException", record);
    server.close();
  }
});

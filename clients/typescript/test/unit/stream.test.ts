import assert from "node:assert/strict";
import { test } from "node:test";
import { Backoff, ChannelStream, type Message } from "../../src/index.js";
import { msg } from "./fake.js";

const m = (seq: number, extra: Record<string, unknown> = {}) => msg("c", seq, extra) as unknown as Message;

test("stream delivers in seq order, holds back past a hole, drops repeats", () => {
  const s = new ChannelStream(2);
  assert.deepEqual(s.offer(m(2)), [], "at or below the cursor is old");
  assert.deepEqual(s.offer(m(4)), [], "4 waits for 3");
  assert.equal(s.hasGap(), true);
  assert.deepEqual(s.offer(m(4)), [], "a second 4 while waiting is dropped");
  assert.deepEqual(s.offer(m(3)).map((x) => x.seq), [3, 4]);
  assert.equal(s.hasGap(), false);
  assert.equal(s.cursor, 4);
  assert.deepEqual(s.offer(m(3)), []);
});

test("stream drops a repeated messageId even under a new seq", () => {
  const s = new ChannelStream(0);
  assert.equal(s.offer(m(1, { messageId: "x" })).length, 1);
  assert.deepEqual(s.offer(m(2, { messageId: "x" })), []);
});

test("backoff grows exponentially with jitter inside [cap/2, cap], capped, and resets", () => {
  const lo = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
  const hi = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 1 });
  assert.deepEqual([1, 2, 3, 4, 5].map(() => lo.next()), [50, 100, 200, 400, 500]);
  assert.deepEqual([1, 2, 3, 4, 5].map(() => hi.next()), [100, 200, 400, 800, 1000]);
  hi.reset();
  assert.equal(hi.next(), 100);
});

// Two users in two browser contexts chat through the web client that chatd
// serves at /: sign-in, a direct chat, presence, unread badges, typing and
// "read by" marks (when the server speaks protocol v1.1), a server restart
// that the page rides out without a reload, and a group chat.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ADMIN, Chatd, freePort, launch, run } from "./harness.mjs";

const T = 30_000;
let chatd;
let browser;

before(async () => {
  chatd = new Chatd(await freePort());
  await chatd.start();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await chatd?.stop();
});

async function signIn(userId) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
  const page = await context.newPage();
  await page.goto(chatd.base + "/");
  await page.getByTestId("signin-admin-token").fill(ADMIN);
  await page.getByTestId("signin-user").fill(userId);
  await page.getByTestId("signin-submit").click();
  await page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: T });
  return { context, page };
}

// speaksV11 asks the server itself, from the page, which protocol it speaks.
async function speaksV11(page, token) {
  return page.evaluate(
    (t) =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`${location.origin.replace(/^http/, "ws")}/ws?access_token=${encodeURIComponent(t)}`);
        ws.onmessage = (e) => {
          ws.close();
          resolve(JSON.parse(e.data).payload.protocolVersion === "1.1");
        };
        ws.onerror = () => reject(new Error("websocket failed"));
      }),
    token,
  );
}

const bodies = (page) => page.getByTestId("message-item").locator("p").allTextContents();
const seqs = async (page) => (await page.getByTestId("message-item").evaluateAll((els) => els.map((e) => Number(e.dataset.seq))));

test("two users chat in two browser windows, and the page rides out a server restart", async () => {
  const aiko = `aiko-${run}`;
  const ben = `ben-${run}`;
  const a = await signIn(aiko);
  const b = await signIn(ben);

  // The sign-in is kept in the browser: a reload comes back signed in.
  await b.page.reload();
  await b.page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: T });

  // aiko starts a direct chat with ben; it appears on both sides.
  await a.page.getByTestId("new-direct-user").fill(ben);
  await a.page.getByTestId("new-direct-submit").click();
  const aItem = a.page.getByTestId("channel-item");
  await aItem.waitFor({ timeout: T });
  const channelId = await aItem.getAttribute("data-channel-id");
  assert.ok(channelId);
  const bItem = b.page.locator(`[data-testid="channel-item"][data-channel-id="${channelId}"]`);
  await bItem.waitFor({ timeout: T });

  // Each sees the other online.
  await a.page.locator(`[data-testid="presence-dot"][data-user-id="${ben}"][data-status="online"]`).first().waitFor({ timeout: T });
  await b.page.locator(`[data-testid="presence-dot"][data-user-id="${aiko}"][data-status="online"]`).first().waitFor({ timeout: T });

  // Typing and read state are protocol v1.1: their assertions run once the
  // server speaks it (ready.protocolVersion); before, the page counts unread
  // messages itself and shows no "read by" marks.
  const v11 = await speaksV11(a.page, await chatd.token(aiko));
  if (v11) {
    await bItem.click();
    await a.page.getByTestId("composer-input").pressSequentially("hel");
    await b.page.getByTestId("typing-indicator").waitFor({ timeout: T });
    assert.match(await b.page.getByTestId("typing-indicator").textContent(), new RegExp(aiko));
    await a.page.getByTestId("composer-input").fill("");
    // back to the list only, so the unread badge below can count
    await b.page.reload();
    await b.page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: T });
  }

  // ben has not opened the chat: his badge counts aiko's messages.
  for (const text of ["hello ben", "are you there?"]) {
    await a.page.getByTestId("composer-input").fill(text);
    await a.page.getByTestId("composer-send").click();
  }
  await a.page.getByTestId("message-item").nth(1).waitFor({ timeout: T });
  assert.deepEqual(await bodies(a.page), ["hello ben", "are you there?"]);
  const badge = bItem.getByTestId("unread-badge");
  await badge.filter({ hasText: /^2$/ }).waitFor({ timeout: T });

  // Opening the chat shows both messages in order and clears the badge.
  await bItem.click();
  await b.page.getByTestId("message-item").nth(1).waitFor({ timeout: T });
  assert.deepEqual(await bodies(b.page), ["hello ben", "are you there?"]);
  assert.deepEqual(await seqs(b.page), [1, 2]);
  await badge.waitFor({ state: "detached", timeout: T });
  if (v11) {
    await a.page.getByText(/Read by ben-/).waitFor({ timeout: T });
  }

  // ben answers with the keyboard only (Enter submits).
  await b.page.getByTestId("composer-input").fill("here!");
  await b.page.getByTestId("composer-input").press("Enter");
  await a.page.getByTestId("message-item").nth(2).waitFor({ timeout: T });
  assert.deepEqual(await bodies(a.page), ["hello ben", "are you there?", "here!"]);

  if (process.env.CHAT_SCREENSHOT) {
    await a.page.screenshot({ path: process.env.CHAT_SCREENSHOT });
  }

  // The server restarts. ben's browser is cut off meanwhile, so what aiko
  // sends after the restart can reach him only by catch-up.
  await b.context.setOffline(true);
  await chatd.stop();
  for (const p of [a.page, b.page]) {
    await p.locator('[data-testid="connection-status"][data-state="reconnecting"]').waitFor({ timeout: T });
  }
  await chatd.start();
  await a.page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: T });
  for (const text of ["sent while you were away", "and one more"]) {
    await a.page.getByTestId("composer-input").fill(text);
    await a.page.getByTestId("composer-send").click();
  }
  await a.page.getByTestId("message-item").nth(4).waitFor({ timeout: T });
  await b.context.setOffline(false);
  await b.page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: T });
  await b.page.getByTestId("message-item").nth(4).waitFor({ timeout: T });
  const want = ["hello ben", "are you there?", "here!", "sent while you were away", "and one more"];
  assert.deepEqual(await bodies(b.page), want);
  assert.deepEqual(await seqs(b.page), [1, 2, 3, 4, 5]);
  assert.deepEqual(await bodies(a.page), want);

  // A group: ben, who has the direct chat open, sees it appear and counts
  // its message on its badge.
  await a.page.getByTestId("new-group-name").fill("team");
  await a.page.getByTestId("new-group-members").fill(` ${ben} , ${aiko}`);
  await a.page.getByTestId("new-group-submit").click();
  const team = b.page.getByTestId("channel-item").filter({ hasText: "team" });
  await team.waitFor({ timeout: T });
  await a.page.getByTestId("composer-input").fill("welcome to the team");
  await a.page.getByTestId("composer-send").click();
  await team.getByTestId("unread-badge").filter({ hasText: /^1$/ }).waitFor({ timeout: T });
  assert.equal(await b.page.getByTestId("message-item").count(), 5, "the open direct chat is unchanged");

  await a.context.close();
  await b.context.close();
});

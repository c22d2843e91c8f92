// A real chatd serving the built web client (CHAT_WEB_DIR), and headless
// Debian chromium driven by playwright-core, for the browser tests.
// scripts/web.sh test sets CHATD_BIN, CHAT_WEB_DIR and the CHAT_TEST_* services.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { chromium } from "playwright-core";

export const ADMIN = "web-e2e-admin-token-0123456789";
export const run = randomBytes(3).toString("hex");

function need(name) {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set: run the browser tests through scripts/web.sh test (make test)`);
  }
  return v;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export class Chatd {
  constructor(port) {
    this.port = port;
    this.base = `http://127.0.0.1:${port}`;
    this.log = [];
  }

  async start() {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith("CHAT_") && k !== "KAFKA_BROKERS" && k !== "DATABASE_URL" && k !== "ETCD_ENDPOINTS"),
    );
    Object.assign(env, {
      CHAT_HTTP_ADDR: `127.0.0.1:${this.port}`,
      DATABASE_URL: need("CHAT_TEST_DATABASE_URL"),
      CHAT_ADMIN_TOKEN: ADMIN,
      CHAT_JWT_SECRET: "web-e2e-jwt-secret-0123456789",
      CHAT_KAFKA_TOPIC_PREFIX: `web${run}.`,
      CHAT_SHUTDOWN_TIMEOUT: "2s",
      CHAT_WEB_DIR: need("CHAT_WEB_DIR"),
    });
    if (process.env.CHAT_TEST_KAFKA_BROKERS) {
      env.KAFKA_BROKERS = process.env.CHAT_TEST_KAFKA_BROKERS;
    } else {
      this.embedded ??= `127.0.0.1:${await freePort()}`;
      env.CHAT_EMBEDDED_KAFKA_ADDR = this.embedded;
    }
    const proc = spawn(need("CHATD_BIN"), [], { env, stdio: ["ignore", "pipe", "pipe"] });
    this.proc = proc;
    proc.stdout.on("data", (b) => this.log.push(b.toString()));
    proc.stderr.on("data", (b) => this.log.push(b.toString()));
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (proc.exitCode !== null) {
        throw new Error(`chatd exited with ${proc.exitCode}:\n${this.log.join("")}`);
      }
      if (await fetch(`${this.base}/readyz`).then((r) => r.ok, () => false)) {
        return;
      }
      if (Date.now() > deadline) {
        throw new Error(`chatd not ready within 90 s:\n${this.log.join("")}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop() {
    const p = this.proc;
    if (!p || p.exitCode !== null) {
      return;
    }
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGTERM");
    await exited;
  }

  async token(userId) {
    const res = await fetch(`${this.base}/admin/v1/users/${encodeURIComponent(userId)}/tokens`, {
      method: "POST",
      headers: { Authorization: `Bearer ${ADMIN}` },
      body: "{}",
    });
    if (!res.ok) {
      throw new Error(`mint token for ${userId}: ${res.status} ${await res.text()}`);
    }
    return (await res.json()).token;
  }
}

// Debian's chromium, headless, with nothing that phones home; Playwright
// gives every launch a fresh temporary --user-data-dir of its own.
export function launch() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

// How the page gets a user token.
//  - Production: the host application hands one in before the page loads,
//    as window.chatd = { token, refreshToken? } (or #token=... in the URL).
//  - Development: the admin token `make run` prints and a user id; the user
//    is created when missing and a token minted through the admin API on
//    this same origin. Both are kept in localStorage, so a reload stays
//    signed in and an expired token is minted again.

export interface Session {
  userId: string;
  token: string;
  refreshToken?: () => Promise<string>;
}

interface HostConfig {
  token: string;
  refreshToken?: () => Promise<string>;
}

declare global {
  interface Window {
    chatd?: HostConfig;
  }
}

const KEY = "chatd.dev-session";

interface DevSession {
  adminToken: string;
  userId: string;
  token: string;
}

// fromHost returns the session a host application handed in, if any.
export function fromHost(): Session | undefined {
  const host = window.chatd;
  const hash = new URLSearchParams(window.location.hash.slice(1)).get("token");
  const token = host?.token ?? hash ?? undefined;
  if (!token) {
    return undefined;
  }
  const s: Session = { userId: subject(token), token };
  if (host?.refreshToken) {
    s.refreshToken = host.refreshToken;
  }
  return s;
}

// stored returns the development session kept in this browser, if any.
export function stored(): Session | undefined {
  const raw = window.localStorage.getItem(KEY);
  if (!raw) {
    return undefined;
  }
  try {
    const d = JSON.parse(raw) as DevSession;
    return devSession(d);
  } catch {
    window.localStorage.removeItem(KEY);
    return undefined;
  }
}

export function signOut(): void {
  window.localStorage.removeItem(KEY);
}

// signIn creates the user when missing, mints a token and keeps both.
export async function signIn(adminToken: string, userId: string): Promise<Session> {
  const created = await admin(adminToken, "POST", "/admin/v1/users", { id: userId, name: userId });
  if (!created.ok && created.status !== 409) {
    throw new Error(await explain(created, "create the user"));
  }
  const token = await mint(adminToken, userId);
  const d: DevSession = { adminToken, userId, token };
  window.localStorage.setItem(KEY, JSON.stringify(d));
  return devSession(d);
}

function devSession(d: DevSession): Session {
  return {
    userId: d.userId,
    token: d.token,
    refreshToken: async () => {
      const token = await mint(d.adminToken, d.userId);
      window.localStorage.setItem(KEY, JSON.stringify({ ...d, token }));
      return token;
    },
  };
}

async function mint(adminToken: string, userId: string): Promise<string> {
  const res = await admin(adminToken, "POST", `/admin/v1/users/${encodeURIComponent(userId)}/tokens`, { ttlSeconds: 86400 });
  if (!res.ok) {
    throw new Error(await explain(res, "mint a token"));
  }
  return ((await res.json()) as { token: string }).token;
}

function admin(adminToken: string, method: string, path: string, body: unknown): Promise<Response> {
  return fetch(path, {
    method,
    headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function explain(res: Response, what: string): Promise<string> {
  const body = (await res.json().catch(() => ({}))) as { message?: string };
  return `Could not ${what}: ${res.status} ${body.message ?? res.statusText}`;
}

// subject reads the user id (sub) out of a JWT without verifying it: the
// server verifies; the page only needs to know who it is.
function subject(token: string): string {
  try {
    const part = token.split(".")[1] ?? "";
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
    return (JSON.parse(json) as { sub?: string }).sub ?? "";
  } catch {
    return "";
  }
}

// A small admin client typed only by the types openapi-typescript
// generates from api/openapi.yaml. It must type-check with no hand edits:
// if the document drops or renames what a frontend relies on, tsc fails.
import type { components, paths } from "./generated/openapi";

type Schemas = components["schemas"];
type ListUsers = paths["/admin/v1/users"]["get"];
type ListUsersQuery = NonNullable<ListUsers["parameters"]["query"]>;
type UsersPage = ListUsers["responses"][200]["content"]["application/json"];
type RemoveMember = paths["/admin/v1/channels/{id}/members/{userId}"]["delete"];
type RemoveMemberPath = RemoveMember["parameters"]["path"];
type ApiError = Schemas["ErrorBody"];

export class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiError,
  ) {
    super(`${status} ${body.code}: ${body.message}`);
  }
}

async function call(base: string, token: string, method: string, path: string, query?: Record<string, string>): Promise<Response> {
  const url = new URL(path, base);
  for (const [name, value] of Object.entries(query ?? {})) {
    url.searchParams.set(name, value);
  }
  const res = await fetch(url, { method, headers: { Authorization: `Bearer ${token}` } });
  if (!res.ok) {
    throw new AdminError(res.status, (await res.json()) as ApiError);
  }
  return res;
}

// listAllUsers pages through GET /admin/v1/users with the opaque cursor.
export async function listAllUsers(base: string, token: string, pageSize: ListUsersQuery["limit"] = 100): Promise<Schemas["UserResponse"][]> {
  const users: Schemas["UserResponse"][] = [];
  let cursor: ListUsersQuery["cursor"];
  do {
    const query: Record<string, string> = { limit: String(pageSize) };
    if (cursor !== undefined) {
      query.cursor = cursor;
    }
    const page = (await (await call(base, token, "GET", "/admin/v1/users", query)).json()) as UsersPage;
    for (const u of page.users) {
      const created: Date = new Date(u.createdAt);
      users.push({ id: u.id, name: u.name, createdAt: created.toISOString() });
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return users;
}

// removeMember calls DELETE /admin/v1/channels/{id}/members/{userId}; a
// member who is not there is a not_found AdminError.
export async function removeMember(base: string, token: string, where: RemoveMemberPath): Promise<void> {
  const path = `/admin/v1/channels/${encodeURIComponent(where.id)}/members/${encodeURIComponent(where.userId)}`;
  const res = await call(base, token, "DELETE", path);
  const status: keyof RemoveMember["responses"] = res.status as 204;
  void status;
}

// The error codes are an enum in the document, so a typo here fails.
export const notMember: ApiError["code"] = "not_found";

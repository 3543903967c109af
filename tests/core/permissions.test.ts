/**
 * DRF's tests/test_permissions.py, translated where portcullis has the concept (issue 19): the built-in
 * permissions through `guard` with real schemes, DRF's `permission_denied` (401 with the first scheme's
 * challenge, 403 without one, PermissionDenied with the permission's message and code), composition with
 * `and` / `or` / `not` and its laziness, async permissions, and object permissions.
 */
import { describe, expect, it, vi } from "vitest";
import { withAuth } from "../../src/adapters/fetch.js";
import { type AuthOptions, guard } from "../../src/core/guard.js";
import type { ThrottleContext } from "../../src/core/throttle.js";
import {
  type AuthRequest,
  type BaseAuthentication,
  BasicAuthentication,
  MemoryUserStore,
  NotAuthenticated,
  PermissionDenied,
  StoreUnavailable,
} from "../../src/index.js";
import {
  AllowAny,
  and,
  checkObjectPermissions,
  checkPermissions,
  IsAdminUser,
  IsAuthenticated,
  IsAuthenticatedOrReadOnly,
  not,
  or,
  type Permission,
  type PermissionContext,
} from "../../src/permissions.js";
import { basicAuthHeader, makeRequest } from "../../src/testing/index.js";
import { PASSWORD, world } from "../adapters/world.js";

const DEFAULT_DENIED = {
  detail: "You do not have permission to perform this action.",
  code: "permission_denied",
};
const NOT_PROVIDED = { detail: "Authentication credentials were not provided.", code: "not_authenticated" };
const JSON_ONLY = { "Content-Type": "application/json" };
const BASIC_CHALLENGE = { ...JSON_ONLY, "WWW-Authenticate": 'Basic realm="api"' };
const CUSTOM = { message: "Custom: You cannot access this resource", code: "permission_denied_custom" };

/** ada (not staff, Basic and Token), root (staff, Token), and the schemes of the adapter tests. */
async function fixture() {
  const w = await world();
  const root = await w.users.create({
    username: "root",
    passwordHash: w.ada.passwordHash,
    isStaff: true,
  });
  const { token: rootKey } = await w.schemes.token.issue(root.id);
  const { basic, token, session } = w.schemes;
  const as = {
    anonymous: (method = "GET") => makeRequest({ method }),
    ada: (method = "GET") =>
      makeRequest({ method, headers: { Authorization: basicAuthHeader("ada", PASSWORD) } }),
    adaToken: (method = "GET") => makeRequest({ method, headers: { Authorization: `Token ${w.key}` } }),
    root: (method = "GET") => makeRequest({ method, headers: { Authorization: `Token ${rootKey}` } }),
  };
  const schemes: BaseAuthentication<unknown>[] = [basic, token];
  return {
    ...w,
    root,
    as,
    schemes,
    tokenAuth: token,
    sessionFirst: [session, basic] as BaseAuthentication<unknown>[],
  };
}

/** What guard answers, as status, headers and body (or "pass" with the user's id). */
async function outcome(request: AuthRequest, options: AuthOptions<unknown>) {
  const result = await guard(request, options);
  if (result.ok) return { pass: result.context.userId };
  return { status: result.status, headers: result.headers, body: result.body };
}

/** A context as guard builds it, for the composition tests (DRF calls `has_permission` directly). */
function ctx(user: { id: string } | null, options: { method?: string; isStaff?: boolean } = {}) {
  return {
    request: makeRequest({ method: options.method ?? "GET" }),
    user,
    auth: null,
    isStaff: options.isStaff ?? false,
    isSuperuser: false,
    scheme: user === null ? null : "basic",
    authenticators: [new BasicAuthentication({ users: new MemoryUserStore() })],
    permissions: [],
  } satisfies PermissionContext<{ id: string }>;
}
const anonymous = ctx(null);
const john = ctx({ id: "1" });

const denies = (extra: Partial<Permission> = {}): Permission => ({ hasPermission: () => false, ...extra });
const deniesObjects = (extra: Partial<Permission> = {}): Permission => ({
  hasPermission: () => true,
  hasObjectPermission: () => false,
  ...extra,
});

describe("CustomPermissionsTests, through guard with Basic credentials", () => {
  it("test_permission_denied: 403 with DRF's default message and code", async () => {
    const { as, schemes } = await fixture();
    expect(await outcome(as.ada(), { schemes, permissions: [denies()] })).toEqual({
      status: 403,
      headers: JSON_ONLY,
      body: DEFAULT_DENIED,
    });
  });

  it("test_permission_denied_with_custom_detail: the permission's message and code", async () => {
    const { as, schemes } = await fixture();
    expect(await outcome(as.ada(), { schemes, permissions: [denies(CUSTOM)] })).toEqual({
      status: 403,
      headers: JSON_ONLY,
      body: { detail: CUSTOM.message, code: CUSTOM.code },
    });
  });

  it("test_permission_denied_for_object: the request passes, checkObjectPermissions refuses (403 default)", async () => {
    const { as, schemes } = await fixture();
    const result = await guard(as.ada(), { schemes, permissions: [deniesObjects()] });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const refusal = await checkObjectPermissions(result.context, { id: 1 }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(PermissionDenied);
    expect(refusal).toMatchObject({ status: 403, ...DEFAULT_DENIED });
  });

  it("test_permission_denied_for_object_with_custom_detail: answered 403 by withAuth with the message and code", async () => {
    const { schemes } = await fixture();
    const handler = withAuth(
      async (_request, { authContext }) => {
        await checkObjectPermissions(authContext, { id: 1 });
        return Response.json({ text: "foo" });
      },
      { schemes, permissions: [deniesObjects(CUSTOM)] },
    );
    const response = await handler(
      new Request("http://testserver/1", { headers: { Authorization: basicAuthHeader("ada", PASSWORD) } }),
    );
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ detail: CUSTOM.message, code: CUSTOM.code });
  });
});

describe("the built-in permissions through guard (DRF's permission_denied)", () => {
  it("IsAuthenticated: an anonymous request is 401 with the first scheme's challenge", async () => {
    const { as, schemes } = await fixture();
    const answer = { status: 401, headers: BASIC_CHALLENGE, body: NOT_PROVIDED };
    expect(await outcome(as.anonymous(), { schemes, permissions: [IsAuthenticated] })).toEqual(answer);
    // `required: false` does not open a route that IsAuthenticated guards.
    expect(
      await outcome(as.anonymous(), { schemes, required: false, permissions: [IsAuthenticated] }),
    ).toEqual(answer);
  });

  it("IsAuthenticated: 403 NotAuthenticated when the first scheme has no challenge (Session first)", async () => {
    const { as, sessionFirst } = await fixture();
    expect(
      await outcome(as.anonymous(), {
        schemes: sessionFirst,
        required: false,
        permissions: [IsAuthenticated],
      }),
    ).toEqual({ status: 403, headers: JSON_ONLY, body: NOT_PROVIDED });
  });

  it("IsAuthenticated lets Basic and Token users through", async () => {
    const { as, schemes, ada } = await fixture();
    expect(await outcome(as.ada(), { schemes, permissions: [IsAuthenticated] })).toEqual({ pass: ada.id });
    expect(await outcome(as.adaToken(), { schemes, permissions: [IsAuthenticated] })).toEqual({
      pass: ada.id,
    });
  });

  it("IsAdminUser: a staff user passes, a user who is not staff is 403, an anonymous request 401", async () => {
    const { as, schemes, root } = await fixture();
    const options = { schemes, required: false, permissions: [IsAdminUser] };
    expect(await outcome(as.root(), options)).toEqual({ pass: root.id });
    expect(await outcome(as.ada(), options)).toEqual({
      status: 403,
      headers: JSON_ONLY,
      body: DEFAULT_DENIED,
    });
    expect(await outcome(as.adaToken(), options)).toEqual({
      status: 403,
      headers: JSON_ONLY,
      body: DEFAULT_DENIED,
    });
    expect(await outcome(as.anonymous(), options)).toEqual({
      status: 401,
      headers: BASIC_CHALLENGE,
      body: NOT_PROVIDED,
    });
  });

  it("IsAdminUser reads isStaff, not isSuperuser (Django's is_staff)", async () => {
    const { users, schemes, ada, tokenAuth } = await fixture();
    const su = await users.create({ username: "su", passwordHash: ada.passwordHash, isSuperuser: true });
    const { token } = await tokenAuth.issue(su.id);
    const request = makeRequest({ headers: { Authorization: `Token ${token}` } });
    expect(await outcome(request, { schemes, permissions: [IsAdminUser] })).toMatchObject({ status: 403 });
  });

  it.each(["GET", "HEAD", "OPTIONS"])(
    "IsAuthenticatedOrReadOnly lets an anonymous %s through",
    async (method) => {
      const { as, schemes } = await fixture();
      const options = { schemes, required: false, permissions: [IsAuthenticatedOrReadOnly] };
      expect(await outcome(as.anonymous(method), options)).toEqual({ pass: null });
    },
  );

  it.each(["POST", "PUT", "PATCH", "DELETE"])(
    "IsAuthenticatedOrReadOnly: an anonymous %s is 401, an authenticated one passes",
    async (method) => {
      const { as, schemes, ada } = await fixture();
      const options = { schemes, required: false, permissions: [IsAuthenticatedOrReadOnly] };
      expect(await outcome(as.anonymous(method), options)).toEqual({
        status: 401,
        headers: BASIC_CHALLENGE,
        body: NOT_PROVIDED,
      });
      expect(await outcome(as.ada(method), options)).toEqual({ pass: ada.id });
    },
  );

  it("a route's permissions replace required's default (DRF's permission_classes); required: true comes first", async () => {
    const { as, schemes } = await fixture();
    expect(await outcome(as.anonymous("DELETE"), { schemes, permissions: [AllowAny] })).toEqual({
      pass: null,
    });
    expect(
      await outcome(as.anonymous("DELETE"), { schemes, required: false, permissions: [AllowAny] }),
    ).toEqual({ pass: null });
    expect(await outcome(as.anonymous(), { schemes, required: true, permissions: [AllowAny] })).toEqual({
      status: 401,
      headers: BASIC_CHALLENGE,
      body: NOT_PROVIDED,
    });
    // Without permissions, required's default (true) is IsAuthenticated.
    expect(await outcome(as.anonymous(), { schemes })).toEqual({
      status: 401,
      headers: BASIC_CHALLENGE,
      body: NOT_PROVIDED,
    });
  });

  it("bad credentials are refused whatever the permissions (AllowAny does not turn them anonymous)", async () => {
    const { schemes } = await fixture();
    const request = makeRequest({ headers: { Authorization: basicAuthHeader("ada", "wrong") } });
    expect(await outcome(request, { schemes, required: false, permissions: [AllowAny] })).toEqual({
      status: 401,
      headers: BASIC_CHALLENGE,
      body: { detail: "Invalid username/password.", code: "authentication_failed" },
    });
  });

  it("a permission refusal for a user is PermissionDenied even when the first scheme has a challenge", async () => {
    const { as, schemes } = await fixture();
    const result = await outcome(as.ada("POST"), { schemes, permissions: [not(IsAuthenticated)] });
    expect(result).toEqual({ status: 403, headers: JSON_ONLY, body: DEFAULT_DENIED });
  });

  it("a custom message is for users only: an anonymous refusal is NotAuthenticated (DRF)", async () => {
    const { as, schemes } = await fixture();
    expect(
      await outcome(as.anonymous(), { schemes, required: false, permissions: [denies(CUSTOM)] }),
    ).toEqual({ status: 401, headers: BASIC_CHALLENGE, body: NOT_PROVIDED });
  });

  it("checks the permissions in order and stops at the first refusal", async () => {
    const { as, schemes } = await fixture();
    const first = { hasPermission: vi.fn(() => true) };
    const refusing = { hasPermission: vi.fn(() => false), message: "second" };
    const third = { hasPermission: vi.fn(() => true) };
    const result = await outcome(as.ada(), { schemes, permissions: [first, refusing, third] });
    expect(result).toMatchObject({ status: 403, body: { detail: "second" } });
    expect([first, refusing, third].map((p) => p.hasPermission.mock.calls.length)).toEqual([1, 1, 0]);
  });

  it("gives the permission the request, the user, auth, scheme and staff flags", async () => {
    const { as, schemes, root } = await fixture();
    const seen = vi.fn((_ctx: PermissionContext<unknown>) => true);
    await guard(as.root("PATCH"), { schemes, permissions: [{ hasPermission: seen }] });
    const given = seen.mock.calls[0]![0];
    expect(given.request.method).toBe("PATCH");
    expect(given.user).toEqual(root.user);
    expect(given.scheme).toBe("token");
    expect(given.isStaff).toBe(true);
    expect(given.isSuperuser).toBe(false);
    expect(given.auth).toMatchObject({ userId: root.id });
  });
});

describe("async permissions", () => {
  const later = (value: boolean): Permission => ({
    hasPermission: () => new Promise((resolve) => setTimeout(() => resolve(value), 1)),
    hasObjectPermission: async () => value,
  });

  it("awaits a permission's promise: a late true passes, a late false refuses", async () => {
    const { as, schemes, ada } = await fixture();
    expect(await outcome(as.ada(), { schemes, permissions: [later(true)] })).toEqual({ pass: ada.id });
    expect(await outcome(as.ada(), { schemes, permissions: [later(false)] })).toMatchObject({
      status: 403,
      body: DEFAULT_DENIED,
    });
  });

  it("composes async operands", async () => {
    expect(await and(later(true), later(true)).hasPermission(john)).toBe(true);
    expect(await and(later(true), later(false)).hasPermission(john)).toBe(false);
    expect(await or(later(false), later(true)).hasPermission(john)).toBe(true);
    expect(await or(later(false), later(false)).hasPermission(john)).toBe(false);
    expect(await not(later(false)).hasPermission(john)).toBe(true);
    expect(await or(later(false), later(true)).hasObjectPermission!(john, {})).toBe(true);
  });

  it("a permission that rejects is a 500, never anonymous and never its message", async () => {
    const { as, schemes } = await fixture();
    const broken: Permission = { hasPermission: async () => Promise.reject(new Error("db.internal down")) };
    const result = await guard(as.ada(), { schemes, permissions: [broken] });
    expect(result).toMatchObject({
      ok: false,
      status: 500,
      body: { detail: "A server error occurred.", code: "error" },
    });
    expect(JSON.stringify(result.ok ? null : result.body)).not.toContain("db.internal");
    expect(result.ok ? null : result.error).toBeInstanceOf(Error);
  });

  it("a permission whose store cannot answer is a 503 with Retry-After", async () => {
    const { as, schemes } = await fixture();
    const down: Permission = { hasPermission: async () => Promise.reject(new StoreUnavailable("grants")) };
    const result = await guard(as.ada(), { schemes, permissions: [down] });
    expect(result).toMatchObject({
      ok: false,
      status: 503,
      headers: { "Retry-After": "5" },
      body: { code: "service_unavailable" },
    });
  });
});

describe("PermissionsCompositionTests", () => {
  it("test_and_false", async () => {
    expect(await and(IsAuthenticated, AllowAny).hasPermission(anonymous)).toBe(false);
  });

  it("test_and_true", async () => {
    expect(await and(IsAuthenticated, AllowAny).hasPermission(john)).toBe(true);
  });

  it("test_or_false", async () => {
    expect(await or(IsAuthenticated, AllowAny).hasPermission(anonymous)).toBe(true);
  });

  it("test_or_true", async () => {
    expect(await or(IsAuthenticated, AllowAny).hasPermission(john)).toBe(true);
  });

  it("test_not_false", async () => {
    expect(await not(IsAuthenticated).hasPermission(anonymous)).toBe(true);
  });

  it("test_not_true", async () => {
    expect(await not(AllowAny).hasPermission(john)).toBe(false);
  });

  it("test_several_levels_without_negation", async () => {
    const composed = and(and(and(IsAuthenticated, IsAuthenticated), IsAuthenticated), IsAuthenticated);
    expect(await composed.hasPermission(john)).toBe(true);
    expect(await composed.hasPermission(anonymous)).toBe(false);
  });

  it("test_several_levels_and_precedence_with_negation", async () => {
    // IsAuthenticated & ~IsAdminUser & IsAuthenticated & ~(IsAdminUser & IsAdminUser)
    const composed = and(
      and(and(IsAuthenticated, not(IsAdminUser)), IsAuthenticated),
      not(and(IsAdminUser, IsAdminUser)),
    );
    expect(await composed.hasPermission(john)).toBe(true);
    expect(await composed.hasPermission(ctx({ id: "1" }, { isStaff: true }))).toBe(false);
  });

  it("test_several_levels_and_precedence", async () => {
    // IsAuthenticated & IsAuthenticated | IsAuthenticated & IsAuthenticated
    const composed = or(and(IsAuthenticated, IsAuthenticated), and(IsAuthenticated, IsAuthenticated));
    expect(await composed.hasPermission(john)).toBe(true);
    expect(await composed.hasPermission(anonymous)).toBe(false);
  });

  /** DRF patches AllowAny and IsAuthenticated with mocks; these are the same operands as spies. */
  function operands() {
    return {
      allow: { hasPermission: vi.fn(() => true), hasObjectPermission: vi.fn(() => true) },
      deny: {
        hasPermission: vi.fn((c: PermissionContext) => c.user !== null),
        hasObjectPermission: vi.fn(() => false),
      },
    };
  }

  it("test_or_lazyness: the second operand is not asked when the first allows", async () => {
    let { allow, deny } = operands();
    expect(await or(allow, deny).hasPermission(anonymous)).toBe(true);
    expect(allow.hasPermission).toHaveBeenCalledTimes(1);
    expect(deny.hasPermission).not.toHaveBeenCalled();

    ({ allow, deny } = operands());
    expect(await or(deny, allow).hasPermission(anonymous)).toBe(true);
    expect(deny.hasPermission).toHaveBeenCalledTimes(1);
    expect(allow.hasPermission).toHaveBeenCalledTimes(1);
  });

  it("test_object_or_lazyness: DRF 3.14's rule skips the object check of a side that refuses the request", async () => {
    let { allow, deny } = operands();
    expect(await or(allow, deny).hasObjectPermission!(anonymous, null)).toBe(true);
    expect(allow.hasObjectPermission).toHaveBeenCalledTimes(1);
    expect(deny.hasObjectPermission).not.toHaveBeenCalled();

    ({ allow, deny } = operands());
    expect(await or(deny, allow).hasObjectPermission!(anonymous, null)).toBe(true);
    expect(deny.hasObjectPermission).toHaveBeenCalledTimes(0);
    expect(allow.hasObjectPermission).toHaveBeenCalledTimes(1);
  });

  it("test_and_lazyness: the second operand is not asked when the first refuses", async () => {
    let { allow, deny } = operands();
    expect(await and(allow, deny).hasPermission(anonymous)).toBe(false);
    expect(allow.hasPermission).toHaveBeenCalledTimes(1);
    expect(deny.hasPermission).toHaveBeenCalledTimes(1);

    ({ allow, deny } = operands());
    expect(await and(deny, allow).hasPermission(anonymous)).toBe(false);
    expect(deny.hasPermission).toHaveBeenCalledTimes(1);
    expect(allow.hasPermission).not.toHaveBeenCalled();
  });

  it("test_object_and_lazyness", async () => {
    let { allow, deny } = operands();
    expect(await and(allow, deny).hasObjectPermission!(anonymous, null)).toBe(false);
    expect(allow.hasObjectPermission).toHaveBeenCalledTimes(1);
    expect(deny.hasObjectPermission).toHaveBeenCalledTimes(1);

    ({ allow, deny } = operands());
    expect(await and(deny, allow).hasObjectPermission!(anonymous, null)).toBe(false);
    expect(deny.hasObjectPermission).toHaveBeenCalledTimes(1);
    expect(allow.hasObjectPermission).not.toHaveBeenCalled();
  });

  it("test_unimplemented_has_object_permission (DRF #6402): IsAdminUser's missing object check lets no one through OR", async () => {
    const IsAuthenticatedUserOwner: Permission = { ...IsAuthenticated, hasObjectPermission: () => true };
    expect(await or(IsAuthenticatedUserOwner, IsAdminUser).hasObjectPermission!(anonymous, null)).toBe(false);
    // A user who is neither the owner nor staff: refused too; staff passes through IsAdminUser's side.
    const IsOwner: Permission<{ id: string }> = {
      hasPermission: () => true,
      hasObjectPermission: (c, note) => (note as { owner: string }).owner === c.user?.id,
    };
    const note = { owner: "2" };
    expect(await or(IsAdminUser, IsOwner).hasObjectPermission!(john, note)).toBe(false);
    expect(await or(IsAdminUser, IsOwner).hasObjectPermission!(ctx({ id: "2" }), note)).toBe(true);
    expect(
      await or(IsAdminUser, IsOwner).hasObjectPermission!(ctx({ id: "9" }, { isStaff: true }), note),
    ).toBe(true);
  });

  it("NOT inverts the object check as DRF's does: ~A without an object check refuses every object", async () => {
    expect(await not(IsAdminUser).hasObjectPermission!(john, {})).toBe(false);
    expect(await not(deniesObjects()).hasObjectPermission!(john, {})).toBe(true);
  });

  it("a composite refuses with DRF's default message, not its operands'", async () => {
    const { as, schemes } = await fixture();
    const composed = and(AllowAny, denies(CUSTOM));
    expect(await outcome(as.ada(), { schemes, permissions: [composed] })).toEqual({
      status: 403,
      headers: JSON_ONLY,
      body: DEFAULT_DENIED,
    });
  });

  it("composites run through guard: or(IsAdminUser, IsAuthenticatedOrReadOnly)", async () => {
    const { as, schemes, root, ada } = await fixture();
    const options = { schemes, required: false, permissions: [or(IsAdminUser, IsAuthenticatedOrReadOnly)] };
    expect(await outcome(as.anonymous("GET"), options)).toEqual({ pass: null });
    expect(await outcome(as.anonymous("POST"), options)).toMatchObject({ status: 401 });
    expect(await outcome(as.ada("POST"), options)).toEqual({ pass: ada.id });
    expect(await outcome(as.root("DELETE"), options)).toEqual({ pass: root.id });
  });
});

describe("checkPermissions and checkObjectPermissions", () => {
  const context = (user: { id: string } | null, permissions: Permission<{ id: string }>[]) => ({
    ...ctx(user),
    permissions,
  });

  it("checkPermissions throws NotAuthenticated for an anonymous request, PermissionDenied for a user", async () => {
    await expect(checkPermissions(context(null, [IsAuthenticated]))).rejects.toBeInstanceOf(NotAuthenticated);
    const denied = await checkPermissions(context({ id: "1" }, [denies(CUSTOM)])).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(PermissionDenied);
    expect(denied).toMatchObject({ status: 403, detail: CUSTOM.message, code: CUSTOM.code });
    await expect(
      checkPermissions(context({ id: "1" }, [IsAuthenticated, AllowAny])),
    ).resolves.toBeUndefined();
  });

  it("checkObjectPermissions passes permissions without an object check, and checks every route permission", async () => {
    const seen: unknown[] = [];
    const recording: Permission = {
      hasPermission: () => true,
      hasObjectPermission: (_c, obj) => {
        seen.push(obj);
        return true;
      },
    };
    const note = { id: 7 };
    await expect(
      checkObjectPermissions(context({ id: "1" }, [IsAuthenticated, recording]), note),
    ).resolves.toBeUndefined();
    expect(seen).toEqual([note]);
  });

  it("checkObjectPermissions refuses with the permission's message, or NotAuthenticated when anonymous", async () => {
    const denied = await checkObjectPermissions(context({ id: "1" }, [deniesObjects(CUSTOM)]), {}).catch(
      (e: unknown) => e,
    );
    expect(denied).toMatchObject({ name: "PermissionDenied", detail: CUSTOM.message, code: CUSTOM.code });
    await expect(checkObjectPermissions(context(null, [deniesObjects()]), {})).rejects.toBeInstanceOf(
      NotAuthenticated,
    );
  });

  it("an object refusal in a withAuth handler: 403 for a user, 401 with the challenge for an anonymous one", async () => {
    const { schemes } = await fixture();
    const IsOwner: Permission<unknown> = {
      hasPermission: () => true,
      hasObjectPermission: (c, note) => (note as { owner: unknown }).owner === c.user,
      message: "Not your note.",
      code: "not_owner",
    };
    const handler = withAuth(
      async (_request, { authContext }) => {
        await checkObjectPermissions(authContext, { owner: "someone else" });
        return Response.json({ ok: true });
      },
      { schemes, required: false, permissions: [IsOwner] },
    );
    const asAda = await handler(
      new Request("http://testserver/notes/1/", {
        method: "DELETE",
        headers: { Authorization: basicAuthHeader("ada", PASSWORD) },
      }),
    );
    expect([asAda.status, await asAda.json()]).toEqual([
      403,
      { detail: "Not your note.", code: "not_owner" },
    ]);
    const anon = await handler(new Request("http://testserver/notes/1/", { method: "DELETE" }));
    expect(anon.status).toBe(401);
    expect(anon.headers.get("WWW-Authenticate")).toBe('Basic realm="api"');
    expect(await anon.json()).toEqual(NOT_PROVIDED);
  });

  it("the context withAuth gives the handler carries the route's permissions", async () => {
    const { schemes } = await fixture();
    let seen: ThrottleContext<unknown> | undefined;
    const handler = withAuth(
      async (_request, { authContext }) => {
        seen = authContext;
        return new Response(null, { status: 204 });
      },
      { schemes, permissions: [IsAuthenticated, AllowAny] },
    );
    await handler(
      new Request("http://testserver/", { headers: { Authorization: basicAuthHeader("ada", PASSWORD) } }),
    );
    expect(seen?.permissions).toEqual([IsAuthenticated, AllowAny]);
  });
});

describe("NoAuthenticationClassesTests: a route without schemes", () => {
  it("test_permission_message_with_no_authentication_classes: 403 with the permission's message", async () => {
    const handler = withAuth(() => new Response("ok"), {
      schemes: [],
      required: false,
      permissions: [denies({ message: "Dummy permission message" })],
    });
    const response = await handler(new Request("http://testserver/"));
    expect(response.status).toBe(403);
    expect(response.headers.get("www-authenticate")).toBeNull();
    expect(await response.json()).toEqual({ detail: "Dummy permission message", code: "permission_denied" });
  });

  it("lets a request through when its permissions allow it, anonymous", async () => {
    const handler = withAuth((_request, { user }) => Response.json({ user }), {
      schemes: [],
      required: false,
      permissions: [AllowAny],
    });
    expect(await (await handler(new Request("http://testserver/"))).json()).toEqual({ user: null });
  });

  it("is refused without `required: false`: every request would be refused", () => {
    expect(() => withAuth(() => new Response("ok"), { schemes: [] })).toThrow(
      new TypeError("auth() needs `schemes`: one scheme or more, or `required: false` and none."),
    );
  });
});

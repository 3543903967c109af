import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDemoServer } from "../../examples/demo/app.js";
import { basicAuthHeader } from "../../src/testing/index.js";

let server: Server;
let base: string;

beforeAll(async () => {
  server = await createDemoServer({ password: "s3cret" });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("the demo server", () => {
  it("serves the public route to anyone", async () => {
    const response = await fetch(`${base}/api/public/`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message: "Hello, anonymous or not." });
  });

  it("asks for Basic credentials on /api/me/", async () => {
    const response = await fetch(`${base}/api/me/`);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Basic realm="api"');
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual({
      detail: "Authentication credentials were not provided.",
      code: "not_authenticated",
    });
  });

  it("answers the seeded user", async () => {
    const response = await fetch(`${base}/api/me/`, {
      headers: { Authorization: basicAuthHeader("demo", "s3cret") },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: "1", username: "demo" });
  });

  it("refuses a wrong password with DRF's message", async () => {
    const response = await fetch(`${base}/api/me/`, {
      headers: { Authorization: basicAuthHeader("demo", "demo") },
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      detail: "Invalid username/password.",
      code: "authentication_failed",
    });
  });

  it("answers 404 and 405 like DRF", async () => {
    const missing = await fetch(`${base}/nope/`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ detail: "Not found." });
    const post = await fetch(`${base}/api/me/`, {
      method: "POST",
      headers: { Authorization: basicAuthHeader("demo", "s3cret") },
    });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    expect(await post.json()).toEqual({ detail: 'Method "POST" not allowed.' });
  });

  it("authenticates before it checks the method, as DRF's initial(): an anonymous POST is a 401", async () => {
    const post = await fetch(`${base}/api/me/`, { method: "POST" });
    expect(post.status).toBe(401);
    expect(post.headers.get("www-authenticate")).toBe('Basic realm="api"');
    expect(post.headers.get("allow")).toBeNull();
    expect(await post.json()).toEqual({
      detail: "Authentication credentials were not provided.",
      code: "not_authenticated",
    });
  });
});

describe("the demo's JWT endpoints", () => {
  const post = (path: string, body: unknown) =>
    fetch(`${base}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });

  it("obtains, uses, refreshes (rotating), verifies and blacklists tokens", async () => {
    const wrong = await post("/api/token/", { username: "demo", password: "nope" });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ detail: "No active account found with the given credentials" });

    const obtained = await post("/api/token/", { username: "demo", password: "s3cret" });
    expect(obtained.status).toBe(200);
    const { access, refresh } = (await obtained.json()) as { access: string; refresh: string };

    const me = await fetch(`${base}/api/me/`, { headers: { Authorization: `Bearer ${access}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ id: "1", username: "demo" });

    expect((await post("/api/token/verify/", { token: access })).status).toBe(200);
    const refreshed = await post("/api/token/refresh/", { refresh });
    expect(refreshed.status).toBe(200);
    const next = (await refreshed.json()) as { access: string; refresh: string };
    expect(Object.keys(next)).toEqual(["access", "refresh"]);

    const replay = await post("/api/token/refresh/", { refresh });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({ detail: "Token is blacklisted", code: "token_not_valid" });

    // Within the reuse grace window (5 s) the replay is taken for a duplicate (two tabs): refused, and
    // the family lives, so the rotated token still works. After it, a replay revokes the family
    // (tests/jwt/revocation-flows.test.ts).
    expect((await post("/api/token/refresh/", { refresh: next.refresh })).status).toBe(200);

    const fresh = (await (await post("/api/token/", { username: "demo", password: "s3cret" })).json()) as {
      refresh: string;
    };
    const blacklisted = await post("/api/token/blacklist/", { refresh: fresh.refresh });
    expect([blacklisted.status, await blacklisted.json()]).toEqual([200, {}]);
    expect((await post("/api/token/refresh/", { refresh: fresh.refresh })).status).toBe(401);
  });

  it("answers a bad Bearer token with simplejwt's body", async () => {
    const response = await fetch(`${base}/api/me/`, { headers: { Authorization: "Bearer not.a.token" } });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Basic realm="api"');
    expect(await response.json()).toMatchObject({
      detail: "Given token not valid for any token type",
      code: "token_not_valid",
    });
  });
});

describe("the demo's sessions", () => {
  /** A minimal cookie jar: the last Set-Cookie of each name wins; Max-Age=0 deletes. */
  function jar() {
    const cookies = new Map<string, string>();
    return {
      take(response: Response) {
        for (const line of response.headers.getSetCookie()) {
          const [pair] = line.split(";", 1);
          const [name, value] = pair!.split("=") as [string, string];
          if (/Max-Age=0/.test(line)) cookies.delete(name);
          else cookies.set(name, value);
        }
        return response;
      },
      get: (name: string) => cookies.get(name),
      header: () => [...cookies].map(([n, v]) => `${n}=${v}`).join("; "),
    };
  }

  it("answers anonymous calls to the session-first /api/ping/ with 403 and no challenge", async () => {
    for (const method of ["GET", "POST"]) {
      const response = await fetch(`${base}/api/ping/`, { method });
      expect(response.status).toBe(403);
      expect(response.headers.get("www-authenticate")).toBeNull();
      expect(await response.json()).toEqual({
        detail: "Authentication credentials were not provided.",
        code: "not_authenticated",
      });
    }
    const basic = await fetch(`${base}/api/ping/`, {
      headers: { Authorization: basicAuthHeader("demo", "s3cret") },
    });
    expect(await basic.json()).toEqual({ pong: true, username: "demo" });
  });

  it("serves the login page", async () => {
    const response = await fetch(`${base}/login`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await response.text();
    for (const id of ["login-form", "username", "password", "login-button", "ping", "logout", "status"]) {
      expect(html).toContain(`id="${id}"`);
    }
  });

  it("logs in with CSRF, authenticates /api/me/ and POST /api/ping/, and logs out", async () => {
    const cookies = jar();
    const csrf = cookies.take(await fetch(`${base}/api/session/csrf/`));
    expect(csrf.status).toBe(200);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    expect(csrfToken).toMatch(/^[a-zA-Z0-9]{64}$/);

    const refused = await fetch(`${base}/api/session/login/`, {
      method: "POST",
      headers: { "Content-Type": "application/json", cookie: cookies.header() },
      body: JSON.stringify({ username: "demo", password: "s3cret" }),
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ detail: "CSRF Failed: CSRF token missing." });

    const login = cookies.take(
      await fetch(`${base}/api/session/login/`, {
        method: "POST",
        headers: { "Content-Type": "application/json", cookie: cookies.header(), "X-CSRFToken": csrfToken },
        body: JSON.stringify({ username: "demo", password: "s3cret" }),
      }),
    );
    expect(login.status).toBe(200);
    expect(await login.json()).toEqual({ id: "1", username: "demo" });
    expect(login.headers.getSetCookie()).toHaveLength(2);
    expect(cookies.get("sessionid")).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const me = await fetch(`${base}/api/me/`, { headers: { cookie: cookies.header() } });
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ id: "1", username: "demo" });

    const noToken = await fetch(`${base}/api/ping/`, {
      method: "POST",
      headers: { cookie: cookies.header() },
    });
    expect(noToken.status).toBe(403);
    expect(await noToken.json()).toEqual({
      detail: "CSRF Failed: CSRF token missing.",
      code: "permission_denied",
    });
    const foreign = await fetch(`${base}/api/ping/`, {
      method: "POST",
      headers: {
        cookie: cookies.header(),
        "X-CSRFToken": cookies.get("csrftoken")!,
        Origin: "http://127.0.0.1:1",
      },
    });
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toEqual({
      detail: "CSRF Failed: Origin checking failed - http://127.0.0.1:1 does not match any trusted origins.",
      code: "permission_denied",
    });
    const ping = await fetch(`${base}/api/ping/`, {
      method: "POST",
      headers: { cookie: cookies.header(), "X-CSRFToken": cookies.get("csrftoken")!, Origin: base },
    });
    expect(ping.status).toBe(200);
    expect(await ping.json()).toEqual({ pong: true, username: "demo" });

    const logout = cookies.take(
      await fetch(`${base}/api/session/logout/`, {
        method: "POST",
        headers: { cookie: cookies.header(), "X-CSRFToken": cookies.get("csrftoken")! },
      }),
    );
    expect(logout.status).toBe(204);
    expect(cookies.get("sessionid")).toBeUndefined();
    const after = await fetch(`${base}/api/me/`, { headers: { cookie: cookies.header() } });
    expect(after.status).toBe(401);
  });

  it("refuses /api/admin/ to anyone but the staff user admin", async () => {
    const anonymous = await fetch(`${base}/api/admin/`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe('Basic realm="api"');
    const demo = await fetch(`${base}/api/admin/`, {
      headers: { Authorization: basicAuthHeader("demo", "s3cret") },
    });
    expect(demo.status).toBe(403);
    expect(await demo.json()).toEqual({
      detail: "You do not have permission to perform this action.",
      code: "permission_denied",
    });
    const admin = await fetch(`${base}/api/admin/`, {
      headers: { Authorization: basicAuthHeader("admin", "admin") },
    });
    expect(admin.status).toBe(200);
    expect(await admin.json()).toEqual({ admin: true, username: "admin" });
  });

  it("throttles anonymous requests to /api/throttled/ at 5 a minute, with Retry-After", async () => {
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${base}/api/throttled/`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ message: "Counted.", username: null });
    }
    const throttled = await fetch(`${base}/api/throttled/`);
    expect(throttled.status).toBe(429);
    const wait = Number(throttled.headers.get("retry-after"));
    expect(wait).toBeGreaterThan(0);
    expect(await throttled.json()).toEqual({
      detail: `Request was throttled. Expected available in ${wait} second${wait === 1 ? "" : "s"}.`,
      code: "throttled",
    });
    // The demo user is counted by id, not by the address.
    const demo = await fetch(`${base}/api/throttled/`, {
      headers: { Authorization: basicAuthHeader("demo", "s3cret") },
    });
    expect(await demo.json()).toEqual({ message: "Counted.", username: "demo" });
  });

  it("locks a username out of the token login from one address after 5 failures", async () => {
    const login = (password: string) =>
      fetch(`${base}/api-token-auth/`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: "mallory", password }),
      });
    for (let i = 0; i < 5; i++) expect((await login("guess")).status).toBe(400);
    const locked = await login("guess");
    expect(locked.status).toBe(429);
    expect(locked.headers.get("retry-after")).toBe("60");
    expect(((await locked.json()) as { code: string }).code).toBe("throttled");
  });
});

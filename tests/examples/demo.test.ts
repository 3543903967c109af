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
    const post = await fetch(`${base}/api/me/`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    expect(await post.json()).toEqual({ detail: 'Method "POST" not allowed.' });
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

    // The replay revoked the whole family (reuse detection): the rotated token is dead too.
    expect((await post("/api/token/refresh/", { refresh: next.refresh })).status).toBe(401);

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

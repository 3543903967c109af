/**
 * Every framework example (examples/<framework>/), started on 127.0.0.1 port 0 and spoken to over HTTP:
 * the Node ones in-process, Deno and Bun as child processes of their real runtimes. Each gets the same
 * conversation: anonymous, Basic, DRF's token, JWTs and a session with CSRF.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp as createExpressApp } from "../../examples/express/app.js";
import { createApp as createFastifyApp } from "../../examples/fastify/app.js";
import { createApp as createHonoApp, createServer as createHonoServer } from "../../examples/hono/app.js";
import { createApp as createKoaApp } from "../../examples/koa/app.js";
import { createServer as createNodeServer } from "../../examples/node-http/app.js";
import {
  type AuthKit,
  createAuthKit,
  createStores,
  type ExampleStores,
} from "../../examples/shared/setup.js";
import { basicAuthHeader } from "../../src/testing/index.js";

interface Running {
  base: string;
  stop(): Promise<void>;
}

/** An example in this process, on fresh in-memory SQLite stores. */
function inProcess(serve: (kit: AuthKit) => Promise<Running>): () => Promise<Running> {
  return async () => {
    const stores: ExampleStores = await createStores({ file: ":memory:" });
    const running = await serve(await createAuthKit(stores, { password: "demo" }));
    return { base: running.base, stop: () => running.stop().then(() => stores.close()) };
  };
}

async function listen(server: Server): Promise<Running> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** An example's main.ts under its runtime, on a SQLite file of its own; up once it prints its address. */
function childProcess(command: string, args: string[]): () => Promise<Running> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), "portcullis-example-test-"));
    const env = {
      ...process.env,
      PORT: "0",
      DATABASE: join(dir, "auth.sqlite3"),
      DEMO_PASSWORD: "demo",
      NO_COLOR: "1",
      DENO_NO_UPDATE_CHECK: "1",
    };
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${command} did not start in 20 s:\n${output}`)),
        20_000,
      );
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      };
      child.stdout.on("data", read);
      child.stderr.on("data", read);
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${command} exited with ${child.exitCode}:\n${output}`));
      });
    });
    return {
      base,
      async stop() {
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exited;
        clearTimeout(killer);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  };
}

const EXAMPLES: [string, () => Promise<Running>][] = [
  ["express", inProcess(async (kit) => listen(createServer(createExpressApp(kit))))],
  [
    "fastify",
    inProcess(async (kit) => {
      const app = await createFastifyApp(kit);
      return { base: await app.listen({ port: 0, host: "127.0.0.1" }), stop: () => app.close() };
    }),
  ],
  ["hono", inProcess(async (kit) => listen(createHonoServer(createHonoApp(kit))))],
  ["koa", inProcess(async (kit) => listen(createServer(createKoaApp(kit).callback())))],
  ["node-http", inProcess(async (kit) => listen(createNodeServer(kit)))],
  ["deno", childProcess("node_modules/.bin/deno", ["run", "-A", "examples/deno/main.ts"])],
  ["bun", childProcess("node_modules/.bin/bun", ["examples/bun/main.ts"])],
];

/** A minimal cookie jar: the last Set-Cookie of each name wins; Max-Age=0 deletes. */
function jar() {
  const cookies = new Map<string, string>();
  return {
    take(response: Response): Response {
      for (const line of response.headers.getSetCookie()) {
        const [name, value] = line.split(";", 1)[0]!.split("=") as [string, string];
        if (/Max-Age=0/i.test(line)) cookies.delete(name);
        else cookies.set(name, value);
      }
      return response;
    },
    get: (name: string) => cookies.get(name),
    header: () => [...cookies].map(([name, value]) => `${name}=${value}`).join("; "),
  };
}

describe.each(EXAMPLES)("examples/%s", (_name, start) => {
  let running: Running;
  let base: string;
  beforeAll(async () => {
    running = await start();
    base = running.base;
  });
  afterAll(() => running?.stop());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  const me = (headers: Record<string, string>) => fetch(`${base}/api/me/`, { headers });
  const demo = { id: expect.any(String), username: "demo" };

  it("serves /api/public/ to anyone and challenges an anonymous /api/me/ with Basic", async () => {
    const open = await fetch(`${base}/api/public/`);
    expect([open.status, await open.json()]).toEqual([200, { message: "Hello, anonymous or not." }]);

    const anonymous = await me({});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe('Basic realm="api"');
    expect(await anonymous.json()).toEqual({
      detail: "Authentication credentials were not provided.",
      code: "not_authenticated",
    });
  });

  it("authenticates Basic demo/demo and refuses a wrong password", async () => {
    const ok = await me({ Authorization: basicAuthHeader("demo", "demo") });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual(demo);

    const wrong = await me({ Authorization: basicAuthHeader("demo", "nope") });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({
      detail: "Invalid username/password.",
      code: "authentication_failed",
    });
  });

  it("issues DRF's token at /api-token-auth/ and authenticates it", async () => {
    const obtained = await post("/api-token-auth/", { username: "demo", password: "demo" });
    expect(obtained.status).toBe(200);
    const { token } = (await obtained.json()) as { token: string };
    const ok = await me({ Authorization: `Token ${token}` });
    expect([ok.status, await ok.json()]).toEqual([200, demo]);
  });

  it("issues JWTs at /api/token/, authenticates the access token, and rotates the refresh token", async () => {
    const notAllowed = await fetch(`${base}/api/token/`);
    expect([notAllowed.status, await notAllowed.json()]).toEqual([
      405,
      { detail: 'Method "GET" not allowed.' },
    ]);

    const obtained = await post("/api/token/", { username: "demo", password: "demo" });
    expect(obtained.status).toBe(200);
    const { access, refresh } = (await obtained.json()) as { access: string; refresh: string };
    const ok = await me({ Authorization: `Bearer ${access}` });
    expect([ok.status, await ok.json()]).toEqual([200, demo]);

    const refreshed = await post("/api/token/refresh/", { refresh });
    expect(refreshed.status).toBe(200);
    expect(Object.keys(await refreshed.json())).toEqual(["access", "refresh"]);
    const replay = await post("/api/token/refresh/", { refresh });
    expect([replay.status, await replay.json()]).toEqual([
      401,
      { detail: "Token is blacklisted", code: "token_not_valid" },
    ]);
  });

  it("logs in a session with CSRF, authenticates /api/me/ with the cookie, and logs out", async () => {
    const cookies = jar();
    const csrf = cookies.take(await fetch(`${base}/api/session/csrf/`));
    expect(csrf.status).toBe(200);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };

    const credentials = { username: "demo", password: "demo" };
    const refused = await post("/api/session/login/", credentials, { cookie: cookies.header() });
    expect([refused.status, await refused.json()]).toEqual([
      403,
      { detail: "CSRF Failed: CSRF token missing." },
    ]);

    const login = cookies.take(
      await post("/api/session/login/", credentials, { cookie: cookies.header(), "X-CSRFToken": csrfToken }),
    );
    expect([login.status, await login.json()]).toEqual([200, demo]);
    expect(login.headers.getSetCookie()).toHaveLength(2);
    const session = cookies.header();

    const ok = await me({ cookie: session });
    expect([ok.status, await ok.json()]).toEqual([200, demo]);

    const logout = cookies.take(
      await fetch(`${base}/api/session/logout/`, {
        method: "POST",
        headers: { cookie: session, "X-CSRFToken": cookies.get("csrftoken")! },
      }),
    );
    expect(logout.status).toBe(204);
    expect((await me({ cookie: session })).status).toBe(401);
  });

  it("gives every scheme the same user", async () => {
    const basic = (await (await me({ Authorization: basicAuthHeader("demo", "demo") })).json()) as {
      id: string;
    };
    const { access } = (await (await post("/api/token/", { username: "demo", password: "demo" })).json()) as {
      access: string;
    };
    const jwt = (await (await me({ Authorization: `Bearer ${access}` })).json()) as { id: string };
    expect(jwt.id).toBe(basic.id);
  });
});

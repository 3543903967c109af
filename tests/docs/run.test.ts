/**
 * Every code sample of README.md and docs/*.md runs (tests/docs/samples.test.ts type-checks them). Each
 * is bundled with `portcullis/*` mapped to src/ and run with real objects for the names it takes from
 * the page (tests/docs/prelude.ts). The servers and apps are started on 127.0.0.1 (or their Fetch
 * handler called) and sent real requests: anonymous, good credentials, bad credentials, and credentials
 * of a user whose store lookup rejects (StoreUnavailable: 503; a bug: 500). An unhandled rejection fails
 * the test. A sample that is not run is listed in NOT_RUN with its reason, and a test holds that every
 * sample is either run here or listed there.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type RequestListener, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { Hono } from "hono";
import type Koa from "koa";
import { type Kysely, sql } from "kysely";
import pg from "pg";
import ts from "typescript";
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  type MockInstance,
  vi,
} from "vitest";
import { withAuth } from "../../src/adapters/fetch.js";
import {
  type AuthenticationFailed,
  type AuthRequest,
  authenticate,
  type BaseAuthentication,
  createJWTHandlers,
  type EndpointHandler,
  InvalidToken,
  JWTAuthentication,
  type JWTService,
  MemoryTokenStore,
  MemoryUserStore,
  type NoCustomClaims,
  PermissionDenied,
  SchemeError,
  SessionManager,
  StoreUnavailable,
  TokenAuthentication,
  type TokenStore,
  verifyPassword,
} from "../../src/index.js";
import { migrateToLatest } from "../../src/stores/kysely/index.js";
import { basicAuthHeader, checkSchemeContract } from "../../src/testing/index.js";
import {
  ADA_HASH,
  type AppUser,
  addFaultyUsers,
  type ContextOptions,
  DocsContext,
  freshSchema,
  PASSWORDS,
  PG_URL,
  REDIS_URL,
  SIGNING_KEY,
} from "./prelude.js";
import { capturingListen, origin, runSample } from "./run-sample.js";
import { ROOT, type Sample, samples } from "./samples.js";

const ALL = samples();

/** A sample, by its page and a string only it holds (ids carry line numbers, which move). */
interface Entry {
  file: string;
  marker: string;
}

/** The samples this file does not run, and why. */
const NOT_RUN: (Entry & { reason: string })[] = [
  {
    file: "docs/testing.md",
    marker: 'from "node:test"',
    reason:
      "runs under node:test with jest's `expect` package (not a dependency); vitest cannot host node:test",
  },
];

/** The samples this file runs (filled as the tests are declared). */
const RUN: Entry[] = [];

function pick({ file, marker }: Entry): Sample {
  const found = ALL.filter((sample) => sample.file === file && sample.code.includes(marker));
  if (found.length !== 1)
    throw new Error(`${found.length} samples of ${file} hold ${JSON.stringify(marker)}`);
  return found[0]!;
}

/** Declares the test that runs one sample. */
function runs(file: string, marker: string, name: string, body: (sample: Sample) => Promise<void>): void {
  RUN.push({ file, marker });
  it(`${file} «${marker}»: ${name}`, () => body(pick({ file, marker })));
}

// --- What every test shares -------------------------------------------------------------------------

const rejections: unknown[] = [];
const onRejection = (reason: unknown): void => void rejections.push(reason);
let errors: MockInstance<typeof console.error>;
let warnings: MockInstance<typeof console.warn>;
const contexts: DocsContext[] = [];
const closers: Array<() => Promise<unknown>> = [];

beforeAll(() => {
  process.on("unhandledRejection", onRejection);
});
afterAll(() => {
  process.off("unhandledRejection", onRejection);
});
beforeEach(() => {
  errors = vi.spyOn(console, "error").mockImplementation(() => {});
  warnings = vi.spyOn(console, "warn").mockImplementation(() => {});
});
afterEach(async () => {
  errors.mockRestore();
  warnings.mockRestore();
  for (const close of closers.splice(0).reverse()) await close();
  for (const context of contexts.splice(0)) await context.close();
  // Let a stray rejection surface, then fail the test it came from.
  await new Promise((resolve) => setTimeout(resolve, 10));
  expect(rejections.splice(0), "unhandled rejections").toEqual([]);
});

/** A context for one test, closed after it. */
function context(options: ContextOptions = {}): DocsContext {
  const made = new DocsContext(options);
  contexts.push(made);
  return made;
}

/** Runs a node:http listener on 127.0.0.1 and an ephemeral port, closed after the test. */
async function listen(listener: RequestListener): Promise<string> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => stop(server));
  return origin(server);
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

const NOT_PROVIDED = { detail: "Authentication credentials were not provided.", code: "not_authenticated" };
const UNAVAILABLE = {
  detail: "Service temporarily unavailable, try again later.",
  code: "service_unavailable",
};
const SERVER_ERROR = { detail: "A server error occurred.", code: "error" };
const ADA = { id: "1", username: "ada" };

/** Authorization values: ada's, a bad one, and those of the users whose store lookups reject. */
interface Credentials {
  good: string;
  bad: string;
  down: string;
  bug: string;
  /** The `code` a bad one answers. */
  badCode: string;
}

const BASIC: Credentials = {
  good: basicAuthHeader("ada", "correct horse"),
  bad: basicAuthHeader("ada", "wrong"),
  down: basicAuthHeader("down", "correct horse"),
  bug: basicAuthHeader("bug", "correct horse"),
  badCode: "authentication_failed",
};

async function bearerCredentials(jwt: JWTService): Promise<Credentials> {
  const access = async (id: string, username: string) =>
    `Bearer ${(await jwt.obtainPair({ id, username })).access}`;
  return {
    good: await access("1", "ada"),
    bad: "Bearer not.a.token",
    down: await access("90", "down"),
    bug: await access("91", "bug"),
    badCode: "token_not_valid",
  };
}

async function tokenCredentials(tokens: TokenStore): Promise<Credentials> {
  // Issuing reads no user: a scheme over the sample's token store issues them.
  const issuer = new TokenAuthentication({ tokens, users: new MemoryUserStore() });
  const token = async (id: string) => `Token ${(await issuer.issue(id)).token}`;
  return {
    good: await token("1"),
    bad: "Token pct_not-a-token",
    down: await token("90"),
    bug: await token("91"),
    badCode: "authentication_failed",
  };
}

interface Probe {
  /** Sends the request with this Authorization (none for null). */
  send(authorization: string | null): Promise<Response>;
  credentials: Credentials;
  /** The anonymous answer: 401 with this challenge, or 403 without one. */
  challenge: string | null;
  /** Checks ada's answer. */
  ok(response: Response): Promise<void>;
}

/**
 * The five requests every server sample answers: anonymous, ada, bad credentials, a store that cannot
 * answer (503), a store with a bug (500), then ada again (the server is still up).
 */
async function probe({ send, credentials, challenge, ok }: Probe): Promise<void> {
  const anonymous = await send(null);
  expect(anonymous.status).toBe(challenge === null ? 403 : 401);
  expect(anonymous.headers.get("www-authenticate")).toBe(challenge);
  expect(await anonymous.json()).toEqual(NOT_PROVIDED);
  await ok(await send(credentials.good));
  const bad = await send(credentials.bad);
  expect(bad.status).toBe(challenge === null ? 403 : 401); // DRF: a 401 without a challenge is a 403
  expect(((await bad.json()) as { code: string }).code).toBe(credentials.badCode);
  const down = await send(credentials.down);
  expect(down.status).toBe(503);
  expect(down.headers.get("retry-after")).toBe("5");
  expect(down.headers.get("content-type")).toMatch(/^application\/json/);
  expect(await down.json()).toEqual(UNAVAILABLE);
  const bug = await send(credentials.bug);
  expect(bug.status).toBe(500);
  expect(bug.headers.get("content-type")).toMatch(/^application\/json/);
  expect(await bug.json()).toEqual(SERVER_ERROR);
  await ok(await send(credentials.good));
}

const json = (body: unknown) => async (response: Response) => {
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual(body);
};

/** `fetch` with an Authorization header, or none. */
const sender =
  (url: string, init: RequestInit = {}) =>
  (authorization: string | null): Promise<Response> =>
    fetch(url, {
      signal: AbortSignal.timeout(10_000), // a request the sample never answers fails here, not at the test's timeout
      ...init,
      headers: {
        ...(init.headers as Record<string, string>),
        ...(authorization ? { Authorization: authorization } : {}),
      },
    });

/** A Fetch handler as `send`. */
const calling =
  (handler: (request: Request) => Promise<Response>, url: string, init: RequestInit = {}) =>
  (authorization: string | null): Promise<Response> =>
    handler(
      new Request(url, {
        ...init,
        headers: {
          ...(init.headers as Record<string, string>),
          ...(authorization ? { Authorization: authorization } : {}),
        },
      }),
    );

/** A JSON POST. */
const post = (url: string, body: unknown, headers: Record<string, string> = {}): Request =>
  new Request(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

/** A CSRF cookie and token from a session `csrf` view, as a page would fetch them. */
async function csrfPair(csrf: EndpointHandler, url: string): Promise<Record<string, string>> {
  const response = await csrf(new Request(url));
  const { csrfToken } = (await response.json()) as { csrfToken: string };
  const cookie = response.headers.get("set-cookie")!.split(";")[0]!;
  return { Cookie: cookie, "X-CSRFToken": csrfToken };
}

/** Sets environment variables for a test. */
function env(values: Record<string, string>): void {
  const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  Object.assign(process.env, values);
  closers.push(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}

// --- The coverage rule ------------------------------------------------------------------------------

describe("every docs sample is run here or listed in NOT_RUN", () => {
  it("each entry names exactly one sample, and each sample exactly one entry", () => {
    const entries = [...RUN, ...NOT_RUN];
    for (const entry of entries) expect(() => pick(entry), `${entry.file} «${entry.marker}»`).not.toThrow();
    const claimed = entries.map((entry) => pick(entry).id);
    expect(new Set(claimed).size, "a sample claimed twice").toBe(claimed.length);
    expect([...claimed].sort()).toEqual(ALL.map((sample) => sample.id).sort());
  });

  it("NOT_RUN is exactly the samples not run", () => {
    const run = new Set(RUN.map((entry) => pick(entry).id));
    expect(ALL.filter((sample) => !run.has(sample.id)).map((sample) => sample.id)).toEqual(
      NOT_RUN.map((entry) => pick(entry).id),
    );
  });

  it("the runtime prelude defines every name the type prelude declares", () => {
    const file = join(ROOT, "tests/docs/prelude.d.ts");
    const source = ts.createSourceFile(file, ts.sys.readFile(file)!, ts.ScriptTarget.ES2022, true);
    const declared: string[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name)) declared.push(node.name.text);
      else if ((ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node)) && node.name)
        declared.push(node.name.text);
      else ts.forEachChild(node, visit);
    };
    visit(source);
    expect(declared.length).toBeGreaterThan(40);
    expect(Object.keys(new DocsContext().values()).sort()).toEqual([...new Set(declared)].sort());
  });
});

// --- README -----------------------------------------------------------------------------------------

describe("README.md", () => {
  runs(
    "README.md",
    "export default async function handler",
    "the Fetch handler answers, 503/500 as JSON",
    async (sample) => {
      const module = await runSample(sample);
      addFaultyUsers(module.users as MemoryUserStore);
      const handler = module.default as (request: Request) => Promise<Response>;
      await probe({
        send: calling(handler, "http://localhost/"),
        credentials: BASIC,
        challenge: 'Basic realm="api"',
        ok: json({ hello: ADA }),
      });
      expect(errors).toHaveBeenCalledTimes(2); // its catch logs the two failures
    },
  );
});

// --- docs/adapters.md -------------------------------------------------------------------------------

describe("docs/adapters.md", () => {
  runs(
    "docs/adapters.md",
    "if (!user.isStaff) throw new PermissionDenied()",
    "Express: a thrown PermissionDenied answers 403",
    async (sample) => {
      const values = context().values();
      const module = await runSample(sample, values);
      const url = `${await listen(module.app as RequestListener)}/api/posts/7/`;
      const send = sender(url, { method: "DELETE" });
      await probe({
        send,
        credentials: BASIC,
        challenge: 'Basic realm="api"',
        ok: async (response) => {
          expect(response.status).toBe(403);
          expect(await response.json()).toEqual({
            detail: "You do not have permission to perform this action.",
            code: "permission_denied",
          });
        },
      });
      expect((await send(basicAuthHeader("grace", "hopper"))).status).toBe(204);
      const bearer = await bearerCredentials(values.jwt as JWTService);
      expect((await send(bearer.good)).status).toBe(403);
      expect(errors).toHaveBeenCalledTimes(2); // the adapter's onError default
    },
  );

  runs(
    "docs/adapters.md",
    "const { auth } = createAuth({ schemes: [session, bearer] })",
    "Express: project defaults and per-route options",
    async (sample) => {
      const values = context().values();
      await runSample(sample, values);
      const base = await listen(values.app as RequestListener);
      // Session first: anonymous is 403 (no challenge), as DRF's SessionAuthentication.
      await probe({
        send: sender(`${base}/api/me/`),
        credentials: await bearerCredentials(values.jwt as JWTService),
        challenge: null,
        ok: json({ id: "1" }),
      });
      const feed = sender(`${base}/api/feed/`);
      expect(await (await feed(null)).json()).toEqual({ user: null });
      const bearer = await bearerCredentials(values.jwt as JWTService);
      expect(await (await feed(bearer.good)).json()).toEqual({ user: "1" });
      expect((await feed(bearer.bad)).status).toBe(403); // the first scheme has no challenge
      await probe({
        send: sender(`${base}/api/hooks/`, { method: "POST" }),
        credentials: await tokenCredentials(values.tokens as TokenStore),
        challenge: "Token",
        ok: async (response) => expect(response.status).toBe(204),
      });
    },
  );

  runs(
    "docs/adapters.md",
    "Deno.serve(withAuth(",
    "Fetch: withAuth under Deno.serve, Workers and Next.js",
    async (sample) => {
      const ctx = context();
      const values = ctx.values();
      const module = await runSample(sample, values);
      const credentials = await bearerCredentials(values.jwt as JWTService);
      expect(ctx.served.map((server) => server.runtime)).toEqual(["deno"]);
      await probe({
        send: calling(ctx.served[0]!.fetch, "http://localhost/"),
        credentials,
        challenge: 'Bearer realm="api"',
        ok: json({ id: "1" }),
      });
      const worker = module.default as {
        fetch(request: Request, env: unknown, ctx: unknown): Promise<Response>;
      };
      const ada = ADA;
      await probe({
        send: (authorization) =>
          calling((request) => worker.fetch(request, {}, {}), "http://localhost/")(authorization),
        credentials,
        challenge: 'Bearer realm="api"',
        ok: json(ada),
      });
      await probe({
        send: calling(module.GET as (request: Request) => Promise<Response>, "http://localhost/"),
        credentials,
        challenge: 'Bearer realm="api"',
        ok: json(ada),
      });
    },
  );

  runs(
    "docs/adapters.md",
    'import { auth, sendAuthError } from "portcullis/node"',
    "node:http with auth(): 401, 200, 503 and 500 as JSON, the user on req",
    async (sample) => {
      const values = context().values();
      const [server] = await capturingListen(() => runSample(sample, values));
      closers.push(() => stop(server as Server));
      await probe({
        send: sender(`${origin(server!)}/`),
        credentials: BASIC,
        challenge: 'Basic realm="api"',
        ok: json(ADA),
      });
      expect(errors).toHaveBeenCalledTimes(2); // auth()'s onError default, for the 503 and the 500
    },
  );

  runs(
    "docs/adapters.md",
    'import { sendAuthError, toAuthRequest } from "portcullis/node"',
    "node:http: 401, 200, 503 and 500 as JSON, the process still up",
    async (sample) => {
      const values = context().values();
      const [server] = await capturingListen(() => runSample(sample, values));
      closers.push(() => stop(server as Server));
      await probe({
        send: sender(`${origin(server!)}/`),
        credentials: BASIC,
        challenge: 'Basic realm="api"',
        ok: json(ADA),
      });
      expect(errors).toHaveBeenCalledTimes(2); // the sample's catch
    },
  );

  runs(
    "docs/adapters.md",
    'app.get("/api/session/csrf/", mount(views.csrf))',
    "Express: mounted session views and auth()",
    async (sample) => {
      const values = context().values();
      const module = await runSample(sample, values);
      const base = await listen(module.app as RequestListener);
      await probe({
        send: sender(`${base}/api/me/`),
        credentials: BASIC,
        challenge: 'Basic realm="api"',
        ok: json({ id: "1" }),
      });
      const csrf = await fetch(`${base}/api/session/csrf/`);
      expect(csrf.status).toBe(200);
      const { csrfToken } = (await csrf.json()) as { csrfToken: string };
      const headers = {
        "Content-Type": "application/json",
        Cookie: csrf.headers.get("set-cookie")!.split(";")[0]!,
        "X-CSRFToken": csrfToken,
      };
      const login = (username: string) =>
        fetch(`${base}/api/session/login/`, {
          method: "POST",
          headers,
          body: JSON.stringify({ username, password: "correct horse" }),
        });
      const ada = await login("ada");
      expect(ada.status).toBe(200);
      expect(await ada.json()).toEqual(ADA);
      const session = ada.headers
        .getSetCookie()
        .find((cookie) => cookie.startsWith("sessionid="))!
        .split(";")[0]!;
      const me = await fetch(`${base}/api/me/`, { headers: { Cookie: session } });
      expect(await me.json()).toEqual({ id: "1" });
      const down = await login("down");
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual(UNAVAILABLE);
      const bug = await login("bug");
      expect(bug.status).toBe(500);
      expect(await bug.json()).toEqual(SERVER_ERROR);
    },
  );

  runs(
    "docs/adapters.md",
    "onError: (error, req) => logger.error",
    "Express: onError to the app's logger",
    async (sample) => {
      const ctx = context();
      const values = ctx.values();
      await runSample(sample, values);
      const base = await listen(values.app as RequestListener);
      await probe({
        send: sender(`${base}/api/me/`),
        credentials: BASIC,
        challenge: 'Basic realm="api"',
        ok: json({ id: "1" }),
      });
      expect(ctx.logged).toEqual([
        ["error", { err: expect.objectContaining({ cause: expect.any(StoreUnavailable) }), url: "/api/me/" }],
        ["error", { err: expect.any(SchemeError), url: "/api/me/" }],
      ]);
      expect(errors).not.toHaveBeenCalled();
    },
  );

  runs(
    "docs/adapters.md",
    'from "portcullis/fastify"',
    "Fastify: plugin, a mounted login, auth() as preHandler",
    async (sample) => {
      const values = context().values();
      const module = await runSample(sample, values);
      const app = module.app as FastifyInstance;
      closers.push(() => app.close());
      const base = await app.listen({ port: 0, host: "127.0.0.1" });
      await probe({
        send: sender(`${base}/api/me/`),
        credentials: await bearerCredentials(values.jwt as JWTService),
        challenge: 'Bearer realm="api"',
        ok: json({ id: "1" }),
      });
      await sessionLogin((request) => fetch(request), `${base}/api/session/login/`, values);
    },
  );

  runs("docs/adapters.md", 'from "portcullis/hono"', "Hono: auth() and a mounted login", async (sample) => {
    const values = context().values();
    const module = await runSample(sample, values);
    const app = module.app as Hono;
    const handler = async (request: Request) => app.fetch(request);
    await probe({
      send: calling(handler, "http://localhost/api/me/"),
      credentials: await bearerCredentials(values.jwt as JWTService),
      challenge: 'Bearer realm="api"',
      ok: json({ id: "1" }),
    });
    await sessionLogin(handler, "http://localhost/api/session/login/", values);
  });

  runs("docs/adapters.md", 'from "portcullis/koa"', "Koa: auth() for every route", async (sample) => {
    const values = context().values();
    const module = await runSample(sample, values);
    const app = module.app as Koa;
    const reported: unknown[] = [];
    app.on("error", (error) => void reported.push(error));
    const base = await listen(app.callback());
    await probe({
      send: sender(`${base}/anything`),
      credentials: BASIC,
      challenge: 'Basic realm="api"',
      ok: json({ id: "1" }),
    });
    expect(reported).toEqual([
      expect.objectContaining({ cause: expect.any(StoreUnavailable) }),
      expect.any(SchemeError),
    ]);
  });
});

/** ada logs in through a mounted session login (503 and 500 for the faulty users). */
async function sessionLogin(
  send: (request: Request) => Promise<Response>,
  url: string,
  values: Record<string, unknown>,
): Promise<void> {
  const views = values.views as { csrf: EndpointHandler };
  const headers = await csrfPair(views.csrf, url);
  const ada = await send(post(url, { username: "ada", password: "correct horse" }, headers));
  expect(ada.status).toBe(200);
  expect(await ada.json()).toEqual(ADA);
  const wrong = await send(post(url, { username: "ada", password: "wrong" }, headers));
  expect(wrong.status).toBe(400);
  expect(await wrong.json()).toEqual({ non_field_errors: ["Unable to log in with provided credentials."] });
  const down = await send(post(url, { username: "down", password: "x" }, headers));
  expect(down.status).toBe(503);
  expect(await down.json()).toEqual(UNAVAILABLE);
  const bug = await send(post(url, { username: "bug", password: "x" }, headers));
  expect(bug.status).toBe(500);
  expect(await bug.json()).toEqual(SERVER_ERROR);
}

// --- docs/basic.md ----------------------------------------------------------------------------------

const authRequest = (authorization: string | null): AuthRequest => ({
  method: "GET",
  url: "http://testserver/",
  headers: { get: (name) => (name.toLowerCase() === "authorization" ? authorization : null) },
});

describe("docs/basic.md", () => {
  runs(
    "docs/basic.md",
    "const basic = new BasicAuthentication({ users });",
    "a Basic scheme over a memory store",
    async (sample) => {
      const module = await runSample(sample);
      const basic = module.basic as BaseAuthentication;
      expect(await authenticate(authRequest(BASIC.good), [basic])).toMatchObject({
        outcome: "success",
        user: ADA,
      });
      expect(await authenticate(authRequest(BASIC.bad), [basic])).toMatchObject({
        outcome: "fail",
        status: 401,
      });
    },
  );

  runs(
    "docs/basic.md",
    "ldap.bind(username, password)",
    "verify: a directory, a disabled account as a wrong password",
    async (sample) => {
      const module = await runSample(sample, context().values());
      const basic = module.basic as BaseAuthentication;
      expect(await authenticate(authRequest(BASIC.good), [basic])).toMatchObject({
        outcome: "success",
        user: { id: "1", username: "ada", disabled: false },
      });
      for (const header of [basicAuthHeader("mallory", "s3cret"), BASIC.bad]) {
        const result = await authenticate(authRequest(header), [basic]);
        expect(result).toMatchObject({ outcome: "fail", status: 401 });
        expect((result as { error: AuthenticationFailed }).error.detail).toBe("Invalid username/password.");
      }
    },
  );
});

// --- docs/endpoints.md and docs/jwt-endpoints.md ----------------------------------------------------

interface Page {
  endpoints: Record<string, EndpointHandler>;
  /** The app the Deno and Bun samples fall back to. */
  app: (request: Request) => Promise<Response>;
  /** Logs ada in through the page's endpoints: the Authorization for the app. */
  login(send: (request: Request) => Promise<Response>): Promise<string>;
  /** A login path, for the faulty users. */
  loginPath: string;
}

/** endpoints.md's mounting sample, run, with ada and the faulty users in its store. */
async function tokenPage(): Promise<Page> {
  const module = await runSample(
    pick({ file: "docs/endpoints.md", marker: "tokenLogoutAll({ auth, tokens, events })" }),
  );
  const users = addFaultyUsers(module.users as MemoryUserStore);
  users.add({ id: "1", username: "ada", passwordHash: ADA_HASH, isActive: true, user: ADA });
  const auth = module.auth as TokenAuthentication<AppUser>;
  return {
    endpoints: module.endpoints as Record<string, EndpointHandler>,
    app: withAuth((_request, { user }) => Response.json({ id: user.id }), { schemes: [auth] }),
    loginPath: "/api/auth/login/",
    async login(send) {
      const response = await send(
        post("http://localhost/api/auth/login/", { username: "ada", password: "correct horse" }),
      );
      expect(response.status).toBe(200);
      return `Token ${((await response.json()) as { token: string }).token}`;
    },
  };
}

/** jwt-endpoints.md's mounting sample, run, with ada and the faulty users in its store. */
async function jwtPage(): Promise<Page> {
  env({ JWT_SECRET: SIGNING_KEY });
  const module = await runSample(
    pick({ file: "docs/jwt-endpoints.md", marker: '"/api/token/blacklist/": api.blacklist' }),
  );
  const users = addFaultyUsers(module.users as MemoryUserStore);
  users.add({ id: "1", username: "ada", passwordHash: ADA_HASH, isActive: true, user: ADA });
  const jwt = module.jwt as JWTService<NoCustomClaims, AppUser>;
  return {
    endpoints: module.endpoints as Record<string, EndpointHandler>,
    app: withAuth((_request, { user }) => Response.json({ id: user.id }), {
      schemes: [new JWTAuthentication<AppUser>({ jwt })],
    }),
    loginPath: "/api/token/",
    async login(send) {
      const response = await send(
        post("http://localhost/api/token/", { username: "ada", password: "correct horse" }),
      );
      expect(response.status).toBe(200);
      return `Bearer ${((await response.json()) as { access: string }).access}`;
    },
  };
}

/** A Deno or Bun sample: the page's endpoints and app behind the runtime's server. */
async function runtimeSample(sample: Sample, page: Page, runtime: "deno" | "bun"): Promise<void> {
  const ctx = context({ app: page.app, endpoints: page.endpoints });
  await runSample(sample, ctx.values());
  expect(ctx.served.map((server) => server.runtime)).toEqual([runtime]);
  const send = ctx.served[0]!.fetch;
  const authorization = await page.login(send);
  const me = await send(
    new Request("http://localhost/api/me/", { headers: { Authorization: authorization } }),
  );
  expect(await me.json()).toEqual({ id: "1" });
  const anonymous = await send(new Request("http://localhost/api/me/"));
  expect(anonymous.status).toBe(401);
  expect(await anonymous.json()).toEqual(NOT_PROVIDED);
  const get = await send(new Request(`http://localhost${page.loginPath}`));
  expect(get.status).toBe(405);
  const login = (username: string) =>
    send(post(`http://localhost${page.loginPath}`, { username, password: "correct horse" }));
  const down = await login("down");
  expect(down.status).toBe(503);
  expect(await down.json()).toEqual(UNAVAILABLE);
  // Any other failure rejects the endpoint's promise, and the runtime answers its own 500.
  const bug = await login("bug");
  expect(bug.status).toBe(500);
  expect(await bug.text()).toBe("Internal Server Error");
  expect(errors).toHaveBeenCalledTimes(1);
  expect((await page.login(send)).length).toBeGreaterThan(10); // still serving
}

describe("docs/endpoints.md", () => {
  runs(
    "docs/endpoints.md",
    "tokenLogoutAll({ auth, tokens, events })",
    "the token endpoints, mounted",
    async () => {
      const page = await tokenPage();
      const call = (path: string, request: Request) => page.endpoints[path]!(request);
      const obtained = await call(
        "/api-token-auth/",
        post("http://localhost/", { username: "ada", password: "correct horse" }),
      );
      expect(Object.keys(await obtained.json())).toEqual(["token"]);
      const login = await call(
        "/api/auth/login/",
        post("http://localhost/", { username: "ada", password: "correct horse" }),
      );
      const { expiry, token } = (await login.json()) as { expiry: string; token: string };
      expect(Date.parse(expiry) - Date.now()).toBeGreaterThan(9.9 * 3600_000);
      const wrong = await call(
        "/api/auth/login/",
        post("http://localhost/", { username: "ada", password: "wrong" }),
      );
      expect(await wrong.json()).toEqual({
        non_field_errors: ["Unable to log in with provided credentials."],
      });
      const logout = await call(
        "/api/auth/logout/",
        new Request("http://localhost/", { method: "POST", headers: { Authorization: `Token ${token}` } }),
      );
      expect(logout.status).toBe(204);
      const again = await call(
        "/api/auth/logoutall/",
        new Request("http://localhost/", { method: "POST", headers: { Authorization: `Token ${token}` } }),
      );
      expect(again.status).toBe(401);
      const down = await call(
        "/api/auth/login/",
        post("http://localhost/", { username: "down", password: "x" }),
      );
      expect(down.status).toBe(503);
      await expect(
        call("/api/auth/login/", post("http://localhost/", { username: "bug", password: "x" })),
      ).rejects.toThrow('relation "auth_user" does not exist');
    },
  );

  runs(
    "docs/endpoints.md",
    "Deno.serve(async (request) => {",
    "Deno: the endpoints, then the app",
    async (sample) => {
      await runtimeSample(sample, await tokenPage(), "deno");
    },
  );

  runs("docs/endpoints.md", "Bun.serve({", "Bun: routes, fetch and error", async (sample) => {
    await runtimeSample(sample, await tokenPage(), "bun");
  });

  runs("docs/endpoints.md", "// app/api/auth/login/route.ts", "Next.js: the login route", async (sample) => {
    const values = context().values();
    const module = await runSample(sample, values);
    const POST = module.POST as EndpointHandler;
    const ada = await POST(post("http://localhost/", { username: "ada", password: "correct horse" }));
    expect(ada.status).toBe(200);
    expect(
      (await (module.OPTIONS as EndpointHandler)(new Request("http://localhost/", { method: "OPTIONS" })))
        .status,
    ).toBe(200);
    expect((await POST(post("http://localhost/", { username: "down", password: "x" }))).status).toBe(503);
    // Next.js answers a rejected route handler with its own 500.
    await expect(POST(post("http://localhost/", { username: "bug", password: "x" }))).rejects.toThrow(Error);
  });

  runs(
    "docs/endpoints.md",
    "// app/api/auth/logout/route.ts",
    "Next.js: the logout route",
    async (sample) => {
      const values = context().values();
      const module = await runSample(sample, Object.assign(values, { auth: values.token }));
      const POST = module.POST as EndpointHandler;
      const credentials = await tokenCredentials(values.tokens as TokenStore);
      const send = calling(POST, "http://localhost/", { method: "POST" });
      const anonymous = await send(null);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get("www-authenticate")).toBe("Token");
      expect((await send(credentials.bad)).status).toBe(401);
      expect((await send(credentials.good)).status).toBe(204);
      expect((await send(credentials.good)).status).toBe(401); // that token is gone
      expect((await send(credentials.down)).status).toBe(503);
      // Next.js answers a rejected route handler with its own 500.
      await expect(send(credentials.bug)).rejects.toThrow(SchemeError);
    },
  );
});

describe("docs/jwt-endpoints.md", () => {
  runs(
    "docs/jwt-endpoints.md",
    '"/api/token/blacklist/": api.blacklist',
    "simplejwt's views, mounted",
    async () => {
      const page = await jwtPage();
      const call = (path: string, body: unknown) => page.endpoints[path]!(post("http://localhost/", body));
      const pair = (await (
        await call("/api/token/", { username: "ada", password: "correct horse" })
      ).json()) as {
        refresh: string;
        access: string;
      };
      expect(Object.keys(pair)).toEqual(["refresh", "access"]);
      const rotated = (await (await call("/api/token/refresh/", { refresh: pair.refresh })).json()) as {
        access: string;
        refresh: string;
      };
      expect(Object.keys(rotated).sort()).toEqual(["access", "refresh"]);
      expect(await (await call("/api/token/verify/", { token: rotated.access })).json()).toEqual({});
      expect((await call("/api/token/blacklist/", { refresh: rotated.refresh })).status).toBe(200);
      expect((await call("/api/token/refresh/", { refresh: rotated.refresh })).status).toBe(401);
      const wrong = await call("/api/token/", { username: "ada", password: "wrong" });
      expect(wrong.status).toBe(401);
      expect((await call("/api/token/", { username: "down", password: "x" })).status).toBe(503);
      await expect(call("/api/token/", { username: "bug", password: "x" })).rejects.toThrow(
        'relation "auth_user"',
      );
    },
  );

  runs(
    "docs/jwt-endpoints.md",
    "Deno.serve(async (request) => {",
    "Deno: the endpoints, then the app",
    async (sample) => {
      await runtimeSample(sample, await jwtPage(), "deno");
    },
  );

  runs("docs/jwt-endpoints.md", "Bun.serve({", "Bun: routes, fetch and error", async (sample) => {
    await runtimeSample(sample, await jwtPage(), "bun");
  });

  runs(
    "docs/jwt-endpoints.md",
    "// app/api/token/refresh/route.ts",
    "Next.js: the refresh route",
    async (sample) => {
      const values = context().values();
      const jwt = values.jwt as JWTService;
      const api = createJWTHandlers(jwt, { passwords: PASSWORDS });
      const module = await runSample(sample, Object.assign(values, { api }));
      const POST = module.POST as EndpointHandler;
      const refresh = async (id: string, username: string) => ({
        refresh: (await jwt.obtainPair({ id, username })).refresh,
      });
      const ada = await POST(post("http://localhost/", await refresh("1", "ada")));
      expect(ada.status).toBe(200);
      expect(Object.keys(await ada.json())).toEqual(["access"]);
      expect((await POST(post("http://localhost/", { refresh: "not.a.token" }))).status).toBe(401);
      expect((await POST(post("http://localhost/", await refresh("90", "down")))).status).toBe(503);
      await expect(POST(post("http://localhost/", await refresh("91", "bug")))).rejects.toThrow(
        'relation "auth_user"',
      );
      expect(
        (await (module.OPTIONS as EndpointHandler)(new Request("http://localhost/", { method: "OPTIONS" })))
          .status,
      ).toBe(200);
    },
  );
});

// --- The other pages: fragments run in their page's context -----------------------------------------

describe("docs/getting-started.md", () => {
  runs(
    "docs/getting-started.md",
    "function toAuthRequest(req: IncomingMessage)",
    "toAuthRequest over node:http",
    async (sample) => {
      const module = await runSample(sample);
      const toAuthRequest = module.toAuthRequest as (req: unknown) => AuthRequest;
      const basic = (
        await runSample(
          pick({ file: "docs/basic.md", marker: "const basic = new BasicAuthentication({ users });" }),
        )
      ).basic as BaseAuthentication;
      const base = await listen((req, res) => {
        const request = toAuthRequest(req);
        authenticate(request, [basic]).then(
          (result) =>
            res.end(JSON.stringify({ method: request.method, url: request.url, outcome: result.outcome })),
          (error: Error) => {
            res.statusCode = 500;
            res.end(error.message);
          },
        );
      });
      const answer = await fetch(`${base}/api/me/?q=1`, {
        method: "POST",
        headers: { Authorization: BASIC.bad },
      });
      expect(await answer.json()).toEqual({ method: "POST", url: "/api/me/?q=1", outcome: "fail" });
    },
  );

  runs(
    "docs/getting-started.md",
    "switch (result.outcome)",
    "authenticate and its three outcomes",
    async (sample) => {
      const module = await runSample(sample, context().values());
      expect((module.result as { outcome: string }).outcome).toBe("none");
      const bad = await runSample(
        sample,
        context({
          values: { request: new Request("http://testserver/", { headers: { Authorization: BASIC.bad } }) },
        }).values(),
      );
      expect((bad.result as { outcome: string }).outcome).toBe("fail"); // its store is empty
    },
  );

  runs(
    "docs/getting-started.md",
    "class ApiKeyAuthentication implements BaseAuthentication",
    "the custom scheme keeps DRF's contract",
    async (sample) => {
      const ctx = context();
      const keys = ctx.values();
      const module = await runSample(sample, keys);
      const Scheme = module.ApiKeyAuthentication as new () => BaseAuthentication;
      const scheme = new Scheme();
      await checkSchemeContract(scheme, { headerName: "x-api-key", runs: 100 });
      const request = (value: string | null): AuthRequest => ({
        method: "GET",
        url: "/",
        headers: { get: (name) => (name.toLowerCase() === "x-api-key" ? value : null) },
      });
      expect(await authenticate(request("k-123"), [scheme])).toMatchObject({ outcome: "success", user: ADA });
      expect(await authenticate(request(null), [scheme])).toMatchObject({ outcome: "none" });
      const wrong = await authenticate(request("nope"), [scheme]);
      expect(wrong).toMatchObject({ outcome: "fail", status: 401, wwwAuthenticate: 'ApiKey realm="api"' });
      // A database that is down: a SchemeError, never "anonymous".
      const down = await runSample(
        sample,
        context({
          values: {
            findUserByApiKey: async () => {
              throw new StoreUnavailable("users");
            },
          },
        }).values(),
      );
      await expect(
        authenticate(request("k-123"), [new (down.ApiKeyAuthentication as new () => BaseAuthentication)()]),
      ).rejects.toThrow(SchemeError);
    },
  );
});

describe("docs/jwt.md", () => {
  runs(
    "docs/jwt.md",
    "const sliding = await jwt.obtainSliding(user)",
    "the service's calls",
    async (sample) => {
      env({ JWT_SECRET: SIGNING_KEY });
      const module = await runSample(sample, context().values());
      expect((module.claims as { user_id: string }).user_id).toBe("1");
      expect(typeof module.sliding).toBe("string");
      expect((module.result as { outcome: string }).outcome).toBe("none");
      const jwt = module.jwt as JWTService;
      const next = module.next as { refresh: string };
      await expect(jwt.refresh(next.refresh)).rejects.toThrow(InvalidToken); // blacklisted by the sample
      await expect(jwt.refresh(module.refresh as string)).rejects.toThrow(InvalidToken); // rotated
    },
  );
});

describe("docs/jwt.md and docs/jwt-endpoints.md: authTokenTypes and the claims hook", () => {
  const slidingOnly = async (sample: Sample): Promise<void> => {
    env({ JWT_SECRET: SIGNING_KEY });
    const jwt = (await runSample(sample, context().values())).jwt as JWTService;
    const sliding = await jwt.obtainSliding({ id: "1" });
    expect(await jwt.validate(sliding)).toMatchObject({ token_type: "sliding", user_id: "1" });
    const { access } = await jwt.obtainPair({ id: "1" });
    await expect(jwt.validate(access)).rejects.toThrow("Given token not valid for any token type");
  };
  runs("docs/jwt.md", 'authTokenTypes: ["sliding"] });', "sliding tokens only", slidingOnly);
  runs("docs/jwt-endpoints.md", 'users, authTokenTypes: ["sliding"] });', "sliding tokens only", slidingOnly);

  runs("docs/jwt.md", "interface AppClaims", "claims from the hook reach `auth`", async (sample) => {
    const module = await runSample(sample, context().values());
    const jwt = module.jwt as JWTService;
    const root = await jwt.validate((await jwt.obtainPair({ id: "1", username: "root" })).access);
    expect(root).toMatchObject({ role: "admin", tenant: "acme", user_id: "1" });
    const ada = await jwt.validate((await jwt.obtainPair({ id: "1", username: "ada" })).access);
    expect(ada).toMatchObject({ role: "member", tenant: "acme" });
  });
});

describe("docs/passwords.md", () => {
  runs(
    "docs/passwords.md",
    'hashPassword("correct horse battery staple")',
    "hash and verify with the defaults",
    async (sample) => {
      const module = await runSample(sample);
      expect(module.passwordHash).toMatch(/^pbkdf2_sha256\$600000\$[A-Za-z0-9]{22}\$/);
      expect(module.valid).toBe(true);
      expect(module.needsRehash).toBe(false);
    },
  );

  runs("docs/passwords.md", 'algorithm: "argon2"', "argon2 options", async (sample) => {
    const module = await runSample(sample, context().values());
    const passwords = module.passwords as Parameters<typeof verifyPassword>[2];
    expect(await verifyPassword("correct horse", ADA_HASH, passwords)).toEqual({
      valid: true,
      needsRehash: true,
    });
  });

  runs(
    "docs/passwords.md",
    "if (needsRehash) await users.setPasswordHash",
    "a login that upgrades the hash",
    async (sample) => {
      const ctx = context({ values: { passwords: { iterations: 1001 } } });
      const values = ctx.values();
      const module = await runSample(sample, values);
      const login = module.sample as () => Promise<Response | undefined>;
      expect(await login()).toBeUndefined();
      const users = values.users as MemoryUserStore<AppUser>;
      expect((await users.findByUsername("ada"))!.passwordHash).toMatch(/^pbkdf2_sha256\$1001\$/);
      const wrong = await runSample(sample, context({ values: { password: "wrong" } }).values());
      expect(((await (wrong.sample as () => Promise<Response>)()) as Response).status).toBe(401);
    },
  );

  runs(
    "docs/passwords.md",
    "limits: { iterations: 10_000_000 }",
    "ceilings and the warning to the logger",
    async (sample) => {
      const ctx = context();
      const module = await runSample(sample, ctx.values());
      const passwords = module.passwords as Parameters<typeof verifyPassword>[2];
      const huge = "pbkdf2_sha256$20000000$salt$q3zzUVZyBZKmJyTCRCbCV6UXbImxb5yCpnk4utHEq8E=";
      expect(await verifyPassword("x", huge, passwords)).toEqual({ valid: false, needsRehash: false });
      expect(ctx.logged).toEqual([
        ["warn", expect.any(String), { parameter: "iterations", value: 20_000_000 }],
      ]);
    },
  );

  runs(
    "docs/passwords.md",
    "const passwordHash = makeUnusablePassword()",
    "unusable passwords",
    async (sample) => {
      const module = await runSample(sample, context().values());
      expect(module.passwordHash).toMatch(/^![A-Za-z0-9]{40}$/);
    },
  );
});

describe("docs/revocation.md", () => {
  runs(
    "docs/revocation.md",
    "const revocations = new MemoryRevocationStore()",
    "rotation with blacklisting",
    async (sample) => {
      const module = await runSample(sample, context().values());
      const jwt = module.jwt as JWTService;
      const { refresh } = await jwt.obtainPair(ADA);
      const next = await jwt.refresh(refresh);
      expect(next.refresh).toEqual(expect.any(String));
      await expect(jwt.refresh(refresh)).rejects.toThrow(InvalidToken);
    },
  );
});

describe("docs/sessions.md", () => {
  runs(
    "docs/sessions.md",
    "async function notes(request: Request)",
    "the session views and a view over two schemes",
    async (sample) => {
      const module = await runSample(sample);
      const users = addFaultyUsers(module.users as MemoryUserStore);
      users.add({ id: "1", username: "ada", passwordHash: ADA_HASH, isActive: true, user: ADA });
      const notes = module.notes as (request: Request) => Promise<Response>;
      const views = module.views as { csrf: EndpointHandler; login: EndpointHandler };
      const anonymous = await notes(new Request("http://testserver/notes"));
      expect(anonymous.status).toBe(403); // the session scheme comes first: no challenge
      expect(
        await (
          await notes(new Request("http://testserver/notes", { headers: { Authorization: BASIC.good } }))
        ).json(),
      ).toEqual({ owner: ADA });
      // Secure by default: the __Host- cookie, and https with an Origin for the CSRF check.
      const headers = {
        ...(await csrfPair(views.csrf, "https://testserver/api/session/csrf/")),
        Origin: "https://testserver",
      };
      const login = await views.login(
        post(
          "https://testserver/api/session/login/",
          { username: "ada", password: "correct horse" },
          headers,
        ),
      );
      expect(login.status).toBe(200);
      const session = login.headers
        .getSetCookie()
        .find((cookie) => cookie.startsWith("__Host-sessionid="))!
        .split(";")[0]!;
      expect(
        await (await notes(new Request("https://testserver/notes", { headers: { Cookie: session } }))).json(),
      ).toEqual({ owner: ADA });
      expect(
        (
          await views.login(
            post("https://testserver/api/session/login/", { username: "down", password: "x" }, headers),
          )
        ).status,
      ).toBe(503);
      // notes() is a handler: a store that cannot answer rejects it, for the server around it to answer.
      await expect(
        notes(new Request("http://testserver/notes", { headers: { Authorization: BASIC.down } })),
      ).rejects.toThrow(SchemeError);
    },
  );

  runs("docs/sessions.md", 'idleTimeout: "30m"', "the manager's settings", async (sample) => {
    const module = await runSample(sample, context().values());
    const sessions = module.sessions as SessionManager<AppUser>;
    expect(sessions).toBeInstanceOf(SessionManager);
    const { headers } = await sessions.login(
      authRequest(null),
      (await (context().values().users as MemoryUserStore<AppUser>).findByUsername("ada"))!,
    );
    const cookie = headers.getSetCookie().find((line) => line.startsWith("sessionid="))!;
    expect(cookie).toMatch(/; Max-Age=43200;/);
    expect(cookie).toMatch(/; Secure/);
  });

  runs("docs/sessions.md", "const csrf = new CsrfPolicy(", "the CSRF policy on its own", async (sample) => {
    await runSample(sample, context().values()); // a GET: nothing to check
    const unsafe = new Request("https://app.example.com/api/notes/", { method: "POST" });
    await expect(runSample(sample, context({ values: { request: unsafe } }).values())).rejects.toThrow(
      PermissionDenied,
    );
  });

  runs(
    "docs/sessions.md",
    "interface SessionStore {",
    "the store's interface (types only)",
    async (sample) => {
      expect(Object.keys(await runSample(sample))).toEqual([]);
    },
  );
});

describe("docs/tokens.md", () => {
  runs(
    "docs/tokens.md",
    'const tokenAuth = new TokenAuthentication({ tokens, users, ttl: "30d" })',
    "a token for ada",
    async (sample) => {
      const module = await runSample(sample, context().values());
      expect((module.result as { outcome: string }).outcome).toBe("none");
      const tokenAuth = module.tokenAuth as BaseAuthentication;
      expect(await authenticate(authRequest(`Token ${module.token as string}`), [tokenAuth])).toMatchObject({
        outcome: "success",
      });
    },
  );

  runs(
    "docs/tokens.md",
    'events.on("userCreated"',
    "events: a token for every new user, listener failures logged",
    async (sample) => {
      const ctx = context({ values: { users: new MemoryUserStore() } });
      const values = ctx.values();
      await runSample(sample, values);
      const ada = await (values.users as MemoryUserStore).findByUsername("ada");
      await vi.waitFor(async () =>
        expect(await (values.tokens as TokenStore).listForUser(ada!.id)).toHaveLength(1),
      );
      // A token store that rejects: the listener's failure reaches `error`, never an unhandled rejection.
      const broken = new MemoryTokenStore();
      broken.save = async () => {
        throw new StoreUnavailable("tokens");
      };
      const failing = context({ values: { users: new MemoryUserStore(), tokens: broken } });
      await runSample(sample, failing.values());
      await vi.waitFor(() =>
        expect(failing.logged).toEqual([
          ["error", "listener of userCreated failed", expect.any(StoreUnavailable)],
        ]),
      );
    },
  );
});

describe("docs/testing.md", () => {
  runs("docs/testing.md", "makeRequest({", "makeRequest", async (sample) => {
    const request = (await runSample(sample)).request as AuthRequest;
    expect(request.method).toBe("POST");
    expect(request.headers.get("authorization")).toBe(basicAuthHeader("ada", "secret"));
    expect(request.headers.get("cookie")).toBe("sessionid=…");
  });
});

// --- docs/stores.md: SQLite, PostgreSQL and Redis as the page sets them up --------------------------

/**
 * Declares a sample that registers tests itself (a conformance suite): it runs while the suite is
 * collected, with a context that lives until the suite's tests are done.
 */
function registers(
  file: string,
  marker: string,
  name: string,
  setup: (sample: Sample, ctx: DocsContext) => Promise<Record<string, unknown>>,
): void {
  RUN.push({ file, marker });
  describe(`${file} «${marker}»: ${name}`, async () => {
    const ctx = new DocsContext();
    afterAll(() => ctx.close());
    await runSample(pick({ file, marker }), await setup(pick({ file, marker }), ctx));
  });
}

const pgAdmin = async (statement: string): Promise<void> => {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
};

describe("docs/stores.md", () => {
  runs(
    "docs/stores.md",
    'new Database(".data/auth.db"',
    "SQLite in a file, WAL, migrated",
    async (sample) => {
      const cwd = process.cwd();
      const folder = mkdtempSync(join(tmpdir(), "portcullis-docs-"));
      mkdirSync(join(folder, ".data")); // the reader's project keeps its data there
      process.chdir(folder);
      closers.push(async () => {
        process.chdir(cwd);
        rmSync(folder, { recursive: true, force: true });
      });
      const module = await runSample(sample);
      closers.push(() => (module.db as Kysely<never>).destroy());
      expect(existsSync(join(folder, ".data/auth.db"))).toBe(true);
      const users = module.users as MemoryUserStore;
      await users.create!({ username: "ada", passwordHash: ADA_HASH });
      const [token, basic] = module.schemes as BaseAuthentication[];
      const withBasic = await authenticate(authRequest(BASIC.good), [token!, basic!]);
      expect(withBasic).toMatchObject({ outcome: "success", scheme: "basic" });
    },
  );

  runs("docs/stores.md", "statement_timeout: 5000", "PostgreSQL with timeouts, migrated", async (sample) => {
    const schema = freshSchema();
    await pgAdmin(`CREATE SCHEMA ${schema}`);
    closers.push(() => pgAdmin(`DROP SCHEMA ${schema} CASCADE`));
    env({ DATABASE_URL: `${PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}` });
    const module = await runSample(sample, context().values());
    closers.push(() => (module.db as Kysely<never>).destroy());
    const users = module.users as MemoryUserStore;
    const ada = await users.create!({ username: "ada", passwordHash: ADA_HASH });
    expect(await users.findById(ada.id)).toMatchObject({ username: "ada" });
    const { rows } = await (module.pool as pg.Pool).query("select count(*)::int as n from portcullis_users");
    expect(rows).toEqual([{ n: 1 }]);
  });

  runs(
    "docs/stores.md",
    'const tables = { users: "auth_users", tokens: "auth_tokens" }',
    "table names of your own",
    async (sample) => {
      const values = context().values();
      const module = await runSample(sample, values);
      const users = module.users as MemoryUserStore;
      await users.create!({ username: "ada", passwordHash: ADA_HASH });
      const { rows } = await sql<{ n: number }>`select count(*) as n from auth_users`.execute(
        values.db as Kysely<never>,
      );
      expect(rows).toEqual([{ n: 1 }]);
    },
  );

  registers(
    "docs/stores.md",
    "testRevocationStore(async () => {",
    "the conformance suite on the SQLite store",
    async (_, ctx) => {
      await migrateToLatest(ctx.get("db"));
      return ctx.values();
    },
  );

  runs("docs/stores.md", "enableOfflineQueue: false", "Redis, failing fast", async (sample) => {
    env({ REDIS_URL });
    const module = await runSample(sample);
    const client = module.client as import("ioredis").Redis;
    closers.push(() => client.quit());
    expect(client.status).toBe("ready");
    const tokens = module.tokens as TokenStore;
    expect(await tokens.findByDigest("0".repeat(64))).toBeNull();
  });

  runs(
    "docs/stores.md",
    'events.on("storeWarning"',
    "the durability warning reaches the log",
    async (sample) => {
      const ctx = context();
      const values = ctx.values();
      const client = values.client as import("ioredis").Redis;
      const [, appendonly] = (await client.config("GET", "appendonly")) as [string, string];
      await runSample(sample, values);
      if (appendonly === "no")
        await vi.waitFor(() => expect(ctx.logged).toEqual([["warn", expect.stringMatching(/appendonly/)]]));
      else expect(ctx.logged).toEqual([]);
    },
  );

  registers(
    "docs/stores.md",
    "const keys = await client.keys(",
    "the conformance suite on Redis",
    async (_, ctx) => ctx.values(),
  );

  runs(
    "docs/stores.md",
    "new RedisThrottleStore({ client",
    "a throttle on Redis, and DRF's wait",
    async (sample) => {
      const values = context().values();
      const client = values.client as import("ioredis").Redis;
      const key = "myapp:throttle:throttle_anon_203.0.113.9";
      await client.del(key);
      closers.push(() => client.del(key));
      const module = await runSample(sample, values);
      expect(module).toMatchObject({ allowed: true, retryAfter: 0 });
      const throttles = module.throttles as import("../../src/stores/redis/index.js").RedisThrottleStore;
      const now = module.now as number;
      for (let i = 2; i <= 5; i++)
        expect(await throttles.hit("throttle_anon_203.0.113.9", 5, 60_000, now + i)).toMatchObject({
          allowed: true,
          count: i,
        });
      // The sixth in the minute is refused, and the page's arithmetic gives DRF's wait.
      const again = await runSample(sample, values);
      expect(again).toMatchObject({ allowed: false, oldest: now });
      expect(again.retryAfter).toBe(Math.ceil((now + 60_000 - (again.now as number)) / 1000));
      expect(await client.zcard(key)).toBe(5);
    },
  );
});

describe("docs/testing.md: suites in a test file", () => {
  registers(
    "docs/testing.md",
    'it("keeps DRF\'s contract"',
    "checkSchemeContract in a test",
    async (_, ctx) => {
      const apiKey = await runSample(
        pick({
          file: "docs/getting-started.md",
          marker: "class ApiKeyAuthentication implements BaseAuthentication",
        }),
        ctx.values(),
      );
      return Object.assign(ctx.values(), { ApiKeyAuthentication: apiKey.ApiKeyAuthentication });
    },
  );

  registers(
    "docs/testing.md",
    "testTokenStore(",
    "the conformance suites on PostgreSQL and Redis stores of your own",
    async (_, ctx) => ctx.values(),
  );
});

describe("docs/permissions-and-throttling.md", () => {
  const PERMISSION_DENIED = {
    detail: "You do not have permission to perform this action.",
    code: "permission_denied",
  };
  const GRACE = basicAuthHeader("grace", "hopper");

  runs(
    "docs/permissions-and-throttling.md",
    "const IsOwner: Permission<AppUser>",
    "IsAdminUser, IsAuthenticatedOrReadOnly and an object permission",
    async (sample) => {
      const module = await runSample(sample, context().values());
      const base = await listen(module.app as RequestListener);
      const admin = sender(`${base}/api/admin/users/`);
      const anonymous = await admin(null);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get("www-authenticate")).toBe('Basic realm="api"');
      expect(await anonymous.json()).toEqual(NOT_PROVIDED);
      const ada = await admin(BASIC.good);
      expect(ada.status).toBe(403);
      expect(await ada.json()).toEqual(PERMISSION_DENIED);
      expect((await admin(GRACE)).status).toBe(200);

      const read = await sender(`${base}/api/articles/`)(null);
      expect(await read.json()).toEqual({ articles: [], reader: null });
      const write = await sender(`${base}/api/articles/`, { method: "POST" })(null);
      expect(write.status).toBe(401);

      const note = sender(`${base}/api/notes/7/`);
      const notMine = await note(BASIC.good);
      expect(notMine.status).toBe(403);
      expect(await notMine.json()).toEqual({ detail: "This note is not yours.", code: "permission_denied" });
      expect(await (await note(GRACE)).json()).toEqual({ id: "7", ownerId: "2", text: "hello" });
    },
  );

  runs(
    "docs/permissions-and-throttling.md",
    "new ScopedRateThrottle({ rates",
    "anonymous, user and scoped rates",
    async (sample) => {
      const module = await runSample(sample, context().values());
      const base = await listen(module.app as RequestListener);
      const search = sender(`${base}/api/search/`);
      for (let i = 0; i < 3; i++) expect((await search(null)).status).toBe(200);
      const throttled = await search(null);
      expect(throttled.status).toBe(429);
      expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await throttled.json()).toEqual({
        detail: expect.stringMatching(/^Request was throttled\. Expected available in \d+ seconds?\.$/),
        code: "throttled",
      });
      expect((await search(BASIC.good)).status).toBe(200); // ada is counted by her id, not the address

      const upload = sender(`${base}/api/uploads/`, { method: "POST" });
      expect((await upload(BASIC.good)).status).toBe(201);
      expect((await upload(BASIC.good)).status).toBe(201);
      expect((await upload(BASIC.good)).status).toBe(429);
      expect((await upload(GRACE)).status).toBe(201);
    },
  );

  runs(
    "docs/permissions-and-throttling.md",
    "new Lockout({",
    "lockout at Basic and the token login",
    async (sample) => {
      const module = await runSample(sample, context().values());
      const base = await listen(module.app as RequestListener);
      const login = (password: string) =>
        fetch(`${base}/api/auth/token/`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ username: "ada", password }),
        });
      for (let i = 0; i < 5; i++) expect((await login("wrong")).status).toBe(400);
      const locked = await login("correct horse");
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(800);
      expect(((await locked.json()) as { code: string }).code).toBe("throttled");
      // The same pair is locked at Basic too; another user from the same address is not.
      expect((await sender(`${base}/api/private/`)(BASIC.good)).status).toBe(429);
      expect((await sender(`${base}/api/private/`)(GRACE)).status).toBe(200);
    },
  );
});

/**
 * The runtime twin of prelude.d.ts: real objects for every name a docs sample takes from the text around
 * it (the stores, the schemes, the app a paragraph above built), so that tests/docs/run.test.ts can run
 * the samples and not only type-check them. Each sample gets a context of its own, built lazily: a
 * sample that uses `users` alone opens no PostgreSQL pool.
 *
 * The user store holds ada ("correct horse"), grace (staff, "hopper") and two users whose store lookups
 * reject: `down` (StoreUnavailable: the database cannot answer, 503) and `bug` (a plain Error: 500).
 */
import { randomUUID } from "node:crypto";
import Database from "better-sqlite3";
import express, { type RequestHandler } from "express";
import { Redis } from "ioredis";
import { Kysely, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import { it as vitestIt } from "vitest";
import * as portcullis from "../../src/index.js";
import {
  type BaseAuthentication,
  BasicAuthentication,
  type EndpointHandler,
  hashPassword,
  JWTAuthentication,
  JWTService,
  MemoryRevocationStore,
  MemorySessionStore,
  MemoryTokenStore,
  MemoryUserStore,
  type PasswordOptions,
  SessionAuthentication,
  SessionManager,
  StoreUnavailable,
  sessionHandlers,
  TokenAuthentication,
  type UserRecord,
} from "../../src/index.js";
import * as kysely from "../../src/stores/kysely/index.js";
import { RedisRevocationStore } from "../../src/stores/redis/index.js";

export const PG_URL: string = process.env.PORTCULLIS_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const REDIS_URL: string = process.env.PORTCULLIS_REDIS_URL ?? "redis://127.0.0.1:6379";

/** The docs' user. */
export interface AppUser {
  id: string;
  username: string;
  isStaff?: boolean;
}

/** Cheap hashes for the context's stores (the context's schemes verify with the same options). */
export const PASSWORDS: PasswordOptions = { iterations: 1000 };
export const SIGNING_KEY = "docs-samples-signing-key-of-at-least-32-bytes";

const HASHES = {
  ada: await hashPassword("correct horse", PASSWORDS),
  grace: await hashPassword("hopper", PASSWORDS),
};

/** What a faulty user's lookup throws: `down`'s store cannot answer, `bug`'s has a bug. */
export const FAULTS: Record<string, () => Error> = {
  down: () => new StoreUnavailable("users", { cause: new Error("connect ECONNREFUSED db.internal:5432") }),
  bug: () => new Error('relation "auth_user" does not exist'),
};

/**
 * Adds `down` and `bug` to a memory store and makes their lookups reject (by username, and by id once
 * found): works on a store a sample built itself (the page's own `users`).
 */
export function addFaultyUsers<U>(users: MemoryUserStore<U>): MemoryUserStore<U> {
  const findByUsername = users.findByUsername.bind(users);
  const findById = users.findById.bind(users);
  const faulty = new Set<string>();
  for (const username of Object.keys(FAULTS)) {
    const id = `9${faulty.size}`;
    users.add({ id, username, passwordHash: HASHES.ada, isActive: true, user: { id, username } as U });
    faulty.add(id);
  }
  users.findByUsername = async (username) => {
    const fault = FAULTS[username];
    if (fault) throw fault();
    return findByUsername(username);
  };
  users.findById = async (id): Promise<UserRecord<U> | null> => {
    const record = await findById(id);
    if (record && faulty.has(id)) throw FAULTS[record.username]!();
    return record;
  };
  return users;
}

/** ada (1, "correct horse"), grace (2, staff, "hopper"), and the faulty `down` (90) and `bug` (91). */
export function seedUsers(users: MemoryUserStore<AppUser>): MemoryUserStore<AppUser> {
  users.add({
    id: "1",
    username: "ada",
    passwordHash: HASHES.ada,
    isActive: true,
    user: { id: "1", username: "ada" },
  });
  users.add({
    id: "2",
    username: "grace",
    passwordHash: HASHES.grace,
    isActive: true,
    isStaff: true,
    user: { id: "2", username: "grace", isStaff: true },
  });
  return addFaultyUsers(users);
}

/** ada's hash in the context's stores. */
export const ADA_HASH: string = HASHES.ada;

/** A Fetch server a `Deno.serve` or `Bun.serve` stand-in was given, and what it answers. */
export interface Served {
  runtime: "deno" | "bun";
  /** The request as the runtime would answer it (its own 500 for a handler that throws). */
  fetch(request: Request): Promise<Response>;
}

/** A logger whose calls are kept. */
function recorder(calls: unknown[][], levels: string[]): Record<string, (...data: unknown[]) => void> {
  return Object.fromEntries(
    levels.map((level) => [level, (...data: unknown[]) => void calls.push([level, ...data])]),
  );
}

/** Options of one context: what differs from page to page. */
export interface ContextOptions {
  /** The page's app: an Express app by default; a Fetch handler for the Deno and Bun samples. */
  app?: unknown;
  /** The page's endpoints (the Deno and Bun samples route to them). */
  endpoints?: Record<string, EndpointHandler>;
  /** Overrides for any other name. */
  values?: Record<string, unknown>;
}

/**
 * One sample's context: `values()` has every name prelude.d.ts declares, each built when first read;
 * `close()` ends what was opened (pools, clients).
 */
export class DocsContext {
  /** Calls of `logger` and `log`: [level, …data]. */
  readonly logged: unknown[][] = [];
  /** The servers `Deno.serve` and `Bun.serve` were asked to start. */
  readonly served: Served[] = [];
  readonly #closers: Array<() => Promise<unknown>> = [];
  readonly #cache = new Map<string, unknown>();
  readonly #options: ContextOptions;

  constructor(options: ContextOptions = {}) {
    this.#options = options;
  }

  /** Every name of the type prelude, as lazy getters. */
  values(): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (const [name, build] of Object.entries(this.#builders())) {
      Object.defineProperty(values, name, {
        enumerable: true,
        get: () => {
          if (!this.#cache.has(name)) this.#cache.set(name, build());
          return this.#cache.get(name);
        },
        set: (value) => void this.#cache.set(name, value),
      });
    }
    return values;
  }

  /** Reads one value (built on first use). */
  get<T>(name: string): T {
    return this.values()[name] as T;
  }

  /** Ends the pools and clients the sample opened through the context. */
  async close(): Promise<void> {
    for (const close of this.#closers.splice(0).reverse()) await close();
  }

  #builders(): Record<string, () => unknown> {
    const get = <T>(name: string): T => this.get<T>(name);
    const served = this.served;
    const builders: Record<string, () => unknown> = {
      users: () => seedUsers(new MemoryUserStore<AppUser>()),
      tokens: () => new MemoryTokenStore(),
      store: () => new MemorySessionStore(),
      sessions: () =>
        new SessionManager<AppUser>({ store: get("store"), users: get("users"), secure: false }),
      passwords: () => PASSWORDS,
      signingKey: () => SIGNING_KEY,
      jwt: () =>
        new JWTService({
          signingKey: SIGNING_KEY,
          users: get<MemoryUserStore<AppUser>>("users"),
          revocations: new MemoryRevocationStore(),
        }),
      db: () => {
        // A migrated SQLite database in memory (better-sqlite3 through Kysely).
        const db = new Kysely<never>({
          dialect: new SqliteDialect({ database: async () => new Database(":memory:") }),
        });
        this.#closers.push(() => db.destroy());
        return db;
      },
      pool: () => {
        const pool = new pg.Pool({ connectionString: PG_URL, max: 4, connectionTimeoutMillis: 5000 });
        pool.on("error", () => {});
        // A sample may end the pool itself (testing.md's afterAll).
        this.#closers.push(() => (pool.ended ? Promise.resolve() : pool.end()));
        return pool;
      },
      client: () => {
        const client = new Redis(REDIS_URL, {
          maxRetriesPerRequest: 1,
          commandTimeout: 5000,
          lazyConnect: true,
        });
        client.on("error", () => {});
        this.#closers.push(async () => {
          if (client.status === "ready") await client.quit().catch(() => client.disconnect());
          else client.disconnect();
        });
        return client;
      },
      basic: () => new BasicAuthentication<AppUser>({ users: get("users"), passwords: PASSWORDS }),
      token: () => new TokenAuthentication<AppUser>({ users: get("users"), tokens: get("tokens") }),
      bearer: () => new JWTAuthentication<AppUser>({ jwt: get("jwt") }),
      session: () =>
        new SessionAuthentication<AppUser>({ sessions: get<SessionManager<AppUser>>("sessions") }),
      schemes: (): BaseAuthentication<AppUser>[] => [get("basic"), get("token"), get("bearer")],
      views: () =>
        sessionHandlers({ sessions: get<SessionManager<AppUser>>("sessions"), passwords: PASSWORDS }),
      endpoints: () =>
        this.#options.endpoints ?? {
          "/api/auth/login/": portcullis.tokenLogin({
            users: get<MemoryUserStore<AppUser>>("users"),
            tokens: get("tokens"),
            passwords: PASSWORDS,
          }),
        },
      request: () => new Request("http://testserver/api/me/"),
      user: (): AppUser => ({ id: "1", username: "ada" }),
      username: () => "ada",
      password: () => "correct horse",
      pw: () => "correct horse",
      stored: () => HASHES.ada,
      app: () => this.#options.app ?? express(),
      me: (): RequestHandler => (req, res) =>
        void res.json({ id: (req as unknown as { user: AppUser }).user.id }),
      feed: (): RequestHandler => (req, res) =>
        void res.json({ user: (req as unknown as { user: AppUser | null }).user?.id ?? null }),
      hook: (): RequestHandler => (_req, res) => void res.status(204).end(),
      logger: () => recorder(this.logged, ["error", "warn"]),
      log: () => recorder(this.logged, ["error", "warn", "info"]),
      findUserByApiKey: () => async (key: string) => (key === "k-123" ? { id: "1", username: "ada" } : null),
      ldap: () => ({
        // A directory of two: ada, and mallory whose account is disabled.
        async bind(username: string, password: string) {
          if (username === "ada" && password === "correct horse")
            return { id: "1", username: "ada", disabled: false };
          if (username === "mallory" && password === "s3cret")
            return { id: "9", username: "mallory", disabled: true };
          return null;
        },
      }),
      // testing.md's PostgreSQL token store of the reader's own: the Kysely store in a schema.
      createTokenTable: () => async (pool: pg.Pool, schema: string) => {
        const db = (new Kysely({ dialect: new PostgresDialect({ pool }) }) as kysely.AnyKysely).withSchema(
          schema,
        );
        await kysely.migrateToLatest(db, { migrationTableSchema: schema });
      },
      PgTokenStore: () =>
        class PgTokenStore extends kysely.KyselyTokenStore {
          constructor(pool: pg.Pool, options: { schema: string }) {
            super({
              db: (new Kysely({ dialect: new PostgresDialect({ pool }) }) as kysely.AnyKysely).withSchema(
                options.schema,
              ),
            });
          }
        },
      MySessionStore: () => class MySessionStore extends MemorySessionStore {},
      MyRedisRevocationStore: () => class MyRedisRevocationStore extends RedisRevocationStore {},
      ApiKeyAuthentication: () => {
        throw new Error("ApiKeyAuthentication is docs/getting-started.md's class: pass it in `values`.");
      },
      BasicAuthentication: () => portcullis.BasicAuthentication,
      JWTAuthentication: () => portcullis.JWTAuthentication,
      AuthenticationFailed: () => portcullis.AuthenticationFailed,
      SessionManager: () => portcullis.SessionManager,
      sessionHandlers: () => portcullis.sessionHandlers,
      hashPassword: () => portcullis.hashPassword,
      verifyPassword: () => portcullis.verifyPassword,
      makeUnusablePassword: () => portcullis.makeUnusablePassword,
      isPasswordUsable: () => portcullis.isPasswordUsable,
      migrateToLatest: () => kysely.migrateToLatest,
      KyselyUserStore: () => kysely.KyselyUserStore,
      KyselyTokenStore: () => kysely.KyselyTokenStore,
      // The runtimes: the handler is kept and answered as the runtime does, its default 500 included.
      Deno: () => ({
        serve(handler: (request: Request) => Response | Promise<Response>) {
          served.push({
            runtime: "deno",
            // Deno.serve's default onError: the error logged, 500 "Internal Server Error".
            fetch: async (request) => {
              try {
                return await handler(request);
              } catch (error) {
                console.error(error);
                return new Response("Internal Server Error", { status: 500 });
              }
            },
          });
          return { finished: Promise.resolve() };
        },
      }),
      Bun: () => ({
        serve(options: {
          routes?: Record<string, (request: Request) => Response | Promise<Response>>;
          fetch(request: Request): Response | Promise<Response>;
          error?(error: Error): Response | Promise<Response>;
        }) {
          served.push({
            runtime: "bun",
            // Bun.serve: a route by exact path, else fetch; what throws goes to `error`.
            fetch: async (request) => {
              const route = options.routes?.[new URL(request.url).pathname];
              try {
                return await (route ?? options.fetch)(request);
              } catch (error) {
                if (!options.error) return new Response("Internal Server Error", { status: 500 });
                return await options.error(error as Error);
              }
            },
          });
          return { stop: async () => {} };
        },
      }),
      it: () => vitestIt,
      unauthorized: () => () => Response.json({ detail: "Invalid username/password." }, { status: 401 }),
    };
    for (const [name, value] of Object.entries(this.#options.values ?? {})) builders[name] = () => value;
    return builders;
  }
}

/** A fresh PostgreSQL schema name. */
export function freshSchema(): string {
  return `docs_${randomUUID().replaceAll("-", "")}`;
}

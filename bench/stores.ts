/**
 * Section 11: token authentication through the real stores (Kysely on SQLite and PostgreSQL, Redis)
 * against the bare driver doing the same lookups, in the same interleaved rounds.
 *
 * Per backend, 1,000 users each own one token (30-day expiry) issued through the store. portcullis:
 * `authenticate(request, [new TokenAuthentication({ tokens, users })])` on a prebuilt `makeRequest` view
 * per token, cycled, with the Kysely instance built as docs/stores.md recommends (`PreparedSqliteDialect`,
 * `PreparedPostgresDialect`); a context row runs the same stores on Kysely's own dialect. Bare: `tokenDigest(token)`, then the same lookups through the driver itself (the
 * token by digest and its expiry, the owner by id and its `is_active`). Every run rejects unless the
 * token's owner comes back. `TokenAuthentication` writes `lastUsedAt` at most once a minute per token:
 * the check pass before timing uses every token once (those writes happen there), a backend's timed
 * rounds end within the minute after it, and afterwards the store is asked whether any token was written
 * during them.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Redis } from "ioredis";
import { Kysely, PostgresDialect, SqliteDialect } from "kysely";
import pg from "pg";
import { tokenDigest } from "../src/adapter-kit.js";
import {
  type AuthRequest,
  authenticate,
  type DefaultUser,
  MemoryUserStore,
  TokenAuthentication,
  type TokenStore,
  type UserRecord,
} from "../src/index.js";
import {
  KyselyTokenStore,
  KyselyUserStore,
  migrateToLatest,
  PreparedPostgresDialect,
  PreparedSqliteDialect,
} from "../src/stores/kysely/index.js";
import { RedisTokenStore } from "../src/stores/redis/index.js";
import { makeRequest } from "../src/testing/index.js";
import type { Contender } from "./interleave.js";
import type { TimedRoundOptions } from "./jwt-rounds.js";
import type { Comparison, Judged, Row } from "./report.js";
import { mapSummary, type Summary, summarize } from "./stats.js";

/** Issued tokens per backend, one per user, cycled. */
export const STORE_TOKENS = 1_000;
/** Authentications in flight in the concurrent rows (PostgreSQL, Redis). */
export const IN_FLIGHT = 16;
/** The targets: portcullis through a Kysely store (SQLite, PostgreSQL) >= this x the bare driver's auth/s. */
export const STORE_MIN_RATIO = 0.8;
/** ... and through `RedisTokenStore` >= this x bare ioredis's. */
export const REDIS_MIN_RATIO = 0.85;
/**
 * Rounds of a backend's rows awaited one at a time: ~20 ms batches, warm-up and calibration bounded by
 * time (a PostgreSQL authentication takes ~0.1-0.2 ms, a SQLite one ~10-40 µs). PostgreSQL, which shares
 * the machine's two cores with the bench, gets longer batches.
 */
export const STORE_ROUNDS: TimedRoundOptions = { rounds: 60, batchMs: 20, warmupMs: 300, calibrateMs: 100 };
const PG_ROUNDS: TimedRoundOptions = { ...STORE_ROUNDS, rounds: 50, batchMs: 40 };
/** The in-flight rows, timed in rounds of their own after the others. */
const CONCURRENT_ROUNDS: TimedRoundOptions = { ...STORE_ROUNDS, rounds: 30, batchMs: 40 };
/** TokenAuthentication's lastUsedAt interval: the rounds must end within it after the check pass. */
const LAST_USED_INTERVAL_MS = 60_000;
const TTL_SECONDS = 30 * 24 * 3600;

export const PG_URL: string = process.env.PORTCULLIS_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const REDIS_URL: string = process.env.PORTCULLIS_REDIS_URL ?? "redis://127.0.0.1:6379";

// biome-ignore lint/suspicious/noExplicitAny: Kysely's spelling for a database of tables named at run time.
type AnyDb = Kysely<any>;
type Users = { create: (i: number) => Promise<UserRecord<DefaultUser>> };

/** A contender whose one call completes `ops` authentications (16 for the concurrent rows). */
export interface StoreContender extends Contender {
  ops: number;
}

/** One issued token: its owner, and the request portcullis reads it from. */
interface Issued {
  token: string;
  userId: string;
  request: AuthRequest;
}

/** The bare side's lookup: from the digest to the owner's id, or null (unknown, expired, inactive). */
type BareLookup = (digest: string) => Promise<string | null>;

/** A backend, seeded and checked, ready to time. */
export interface StoreBackend {
  /** Section number and title. */
  title: string;
  /** The judged row (the runner) and its bare baseline, one authentication awaited at a time. */
  portcullis: StoreContender;
  bare: StoreContender;
  /** Other bare rows the runner row is judged against too (PostgreSQL: unnamed statements). */
  peers?: StoreContender[];
  /** Context rows, ratio against `bare`: the direct call and the diagnostic rows. */
  context: StoreContender[];
  /** The rounds of the rows awaited one at a time. */
  rounds: TimedRoundOptions;
  /** Judged rows with {@link IN_FLIGHT} authentications in flight, portcullis against its bare peer. */
  concurrent?: { portcullis: StoreContender; bare: StoreContender };
  note: string[];
  /** When the check pass started writing lastUsedAt (writes come back a minute later). */
  firstWriteAt: number;
  /** When it ended: no token may have a later lastUsedAt after the rounds. */
  lastWriteAt: number;
  /** How many tokens have a lastUsedAt later than `since` (epoch ms). */
  writesSince(since: number): Promise<number>;
  close(): Promise<void>;
}

/** Cycles through `items`, one per call. */
function cycle<T>(items: readonly T[]): () => T {
  let cursor = 0;
  return () => {
    const item = items[cursor]!;
    cursor = cursor + 1 === items.length ? 0 : cursor + 1;
    return item;
  };
}

/** Creates {@link STORE_TOKENS} users and issues one token each, through the stores. */
async function issueAll(users: Users, tokens: TokenStore): Promise<Issued[]> {
  const issued: Issued[] = [];
  // Issuing reads no user: the scheme's own user store is never asked here.
  const issuer = new TokenAuthentication({ tokens, users: new MemoryUserStore(), ttl: TTL_SECONDS });
  for (let i = 0; i < STORE_TOKENS; i++) {
    const owner = await users.create(i);
    const { token } = await issuer.issue(owner.id);
    const request = makeRequest({ headers: { Authorization: `Token ${token}` } });
    issued.push({ token, userId: owner.id, request });
  }
  return issued;
}

/** `run` `n` times at once, as one call. */
function inFlight(run: () => Promise<void>, n: number): () => Promise<unknown> {
  return () => {
    const all: Promise<void>[] = [];
    for (let i = 0; i < n; i++) all.push(run());
    return Promise.all(all);
  };
}

/** A bare contender over `lookup`, with its own cursor: the digest, the lookup, the owner checked. */
function bareContender(issued: readonly Issued[], name: string, lookup: BareLookup): StoreContender {
  const next = cycle(issued);
  return {
    name,
    ops: 1,
    run: async () => {
      const { token, userId } = next();
      if ((await lookup(await tokenDigest(token))) !== userId)
        throw new Error(`${name}: did not find user ${userId}`);
    },
  };
}

/** portcullis through the runner, with a cursor of its own. */
function runnerContender(
  name: string,
  issued: readonly Issued[],
  tokenAuth: TokenAuthentication<DefaultUser>,
): StoreContender {
  const schemes = [tokenAuth];
  const next = cycle(issued);
  return {
    name,
    ops: 1,
    run: async () => {
      const { request, userId } = next();
      const result = await authenticate(request, schemes);
      if (result.outcome !== "success" || (result.user as DefaultUser).id !== userId) {
        throw new Error(`${name}: did not authenticate user ${userId}: ${result.outcome}`);
      }
    },
  };
}

/** The same stores on Kysely's own dialect (`db` built the ordinary way): the default path. */
function ordinaryDialect(db: AnyDb, issued: readonly Issued[], dialect: string): StoreContender {
  const tokenAuth = new TokenAuthentication({
    tokens: new KyselyTokenStore({ db }),
    users: new KyselyUserStore({ db }),
  });
  return runnerContender(
    `portcullis authenticate(req, [TokenAuthentication]), Kysely's own ${dialect}`,
    issued,
    tokenAuth,
  );
}

/** The contenders every backend has: portcullis through the runner and directly, and the bare lookup. */
function contenders(
  label: string,
  issued: readonly Issued[],
  tokenAuth: TokenAuthentication<DefaultUser>,
  bareName: string,
  bareLookup: BareLookup,
) {
  const schemes = [tokenAuth];
  const nextRunner = cycle(issued);
  const nextDirect = cycle(issued);
  const viaRunner = async (): Promise<void> => {
    const { request, userId } = nextRunner();
    const result = await authenticate(request, schemes);
    if (result.outcome !== "success" || (result.user as DefaultUser).id !== userId) {
      throw new Error(`${label}: portcullis did not authenticate user ${userId}: ${result.outcome}`);
    }
  };
  const direct = async (): Promise<void> => {
    const { request, userId } = nextDirect();
    const result = await tokenAuth.authenticate(request);
    if (result?.user.id !== userId)
      throw new Error(`${label}: tokenAuth.authenticate did not find ${userId}`);
  };
  const bare = bareContender(issued, bareName, bareLookup);
  const concurrentBare = bareContender(issued, `${bareName}, ${IN_FLIGHT} in flight`, bareLookup);
  return {
    portcullis: {
      name: `portcullis authenticate(req, [TokenAuthentication]), ${label}`,
      run: viaRunner,
      ops: 1,
    },
    direct: { name: `portcullis tokenAuth.authenticate(req), ${label}`, run: direct, ops: 1 },
    bare,
    concurrent: {
      portcullis: {
        name: `portcullis authenticate(req, [TokenAuthentication]), ${label}, ${IN_FLIGHT} in flight`,
        run: inFlight(viaRunner, IN_FLIGHT),
        ops: IN_FLIGHT,
      },
      bare: {
        name: concurrentBare.name,
        run: inFlight(concurrentBare.run as () => Promise<void>, IN_FLIGHT),
        ops: IN_FLIGHT,
      },
    },
    /** Before timing: an unknown token fails on both sides. */
    async checkUnknown(): Promise<void> {
      const unknown = `pct_${randomBytes(32).toString("base64url")}`;
      const request = makeRequest({ headers: { Authorization: `Token ${unknown}` } });
      const refused = await authenticate(request, schemes);
      if (refused.outcome !== "fail") throw new Error(`${label}: portcullis accepted an unknown token`);
      if ((await bareLookup(await tokenDigest(unknown))) !== null)
        throw new Error(`${bareName} accepted an unknown token`);
    },
  };
}

/**
 * Every contender resolves every token's owner (each run checks it), portcullis first: its pass writes
 * each token's first lastUsedAt. Returns when that pass started and ended.
 */
async function checkAll(
  first: StoreContender,
  others: readonly StoreContender[],
): Promise<{ firstWriteAt: number; lastWriteAt: number }> {
  const firstWriteAt = Date.now();
  for (let i = 0; i < STORE_TOKENS; i++) await first.run();
  const lastWriteAt = Date.now();
  for (const contender of others) {
    for (let i = 0; i < STORE_TOKENS; i += contender.ops) await contender.run();
  }
  return { firstWriteAt, lastWriteAt };
}

/** Two selects through Kysely itself, as the stores build them, and no portcullis code. */
function kyselyAlone(db: AnyDb, issued: readonly Issued[], label: string): StoreContender {
  return bareContender(
    issued,
    `Kysely alone, the same two selects, no portcullis (${label})`,
    async (digest) => {
      const row = await db
        .selectFrom("portcullis_tokens")
        .selectAll()
        .where("digest", "=", digest)
        .executeTakeFirst();
      if (row === undefined || (row.expires_at !== null && Number(row.expires_at) < Date.now())) return null;
      const user = await db
        .selectFrom("portcullis_users")
        .selectAll()
        .where("id", "=", row.user_id)
        .executeTakeFirst();
      return user === undefined || Number(user.is_active) === 0 ? null : (user.id as string);
    },
  );
}

/** Creates user `i` in a Kysely user store. */
function kyselyUsers(store: KyselyUserStore): Users {
  return { create: (i) => store.create({ username: `user${i}`, passwordHash: null }) };
}

/** The statements Kysely compiles for `findByDigest` and `findById` (placeholders as the dialect writes them). */
const tokenSql = (p: string) =>
  `select "digest", "user_id", "name", "created_at", "expires_at", "last_used_at" from "portcullis_tokens" where "digest" = ${p}`;
const userSql = (p: string) =>
  `select "id", "username", "password_hash", "is_active", "last_login", "data" from "portcullis_users" where "id" = ${p}`;

type SqlRow = Record<string, unknown>;
const expired = (row: SqlRow) => row.expires_at !== null && Number(row.expires_at) < Date.now();
const ownerId = (user: SqlRow | undefined) =>
  user === undefined || Number(user.is_active) === 0 ? null : (user.id as string);

// ---------------------------------------------------------------------------------------------- SQLite

/** SQLite: a better-sqlite3 file in a temporary directory (WAL), one handle under Kysely and the bare side. */
export async function sqliteBackend(): Promise<StoreBackend> {
  const dir = mkdtempSync(join(tmpdir(), "portcullis-bench-"));
  const database = new Database(join(dir, "auth.db"));
  database.pragma("journal_mode = WAL");
  // As docs/stores.md recommends; `ordinary` is Kysely's own dialect on the same handle, for context.
  const db: AnyDb = new Kysely({ dialect: new PreparedSqliteDialect({ database, directReads: true }) });
  const ordinary: AnyDb = new Kysely({ dialect: new SqliteDialect({ database }) });
  const close = async () => {
    await db.destroy(); // closes the handle, which `ordinary` shares
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await migrateToLatest(db);
    const label = "Kysely + PreparedSqliteDialect";
    // Seeded in one transaction (2,000 commits would each wait for the disk), through the stores.
    const issued = await db
      .transaction()
      .execute((trx) =>
        issueAll(kyselyUsers(new KyselyUserStore({ db: trx })), new KyselyTokenStore({ db: trx })),
      );
    const tokenAuth = new TokenAuthentication({
      tokens: new KyselyTokenStore({ db }),
      users: new KyselyUserStore({ db }),
    });
    const tokenByDigest = database.prepare<[string], SqlRow>(tokenSql("?"));
    const userById = database.prepare<[string], SqlRow>(userSql("?"));
    const c = contenders(label, issued, tokenAuth, "better-sqlite3, prepared statements", async (digest) => {
      const row = tokenByDigest.get(digest);
      return row === undefined || expired(row) ? null : ownerId(userById.get(row.user_id as string));
    });
    // What Kysely's SqliteDialect asks of better-sqlite3 for each query: `prepare(sql)`, then `all()`.
    const perCall = bareContender(
      issued,
      "better-sqlite3, prepare() + all() per query (as Kysely's driver)",
      async (digest) => {
        const row = database.prepare<[string], SqlRow>(tokenSql("?")).all(digest)[0];
        if (row === undefined || expired(row)) return null;
        return ownerId(database.prepare<[string], SqlRow>(userSql("?")).all(row.user_id as string)[0]);
      },
    );
    const context = [
      c.direct,
      ordinaryDialect(ordinary, issued, "SqliteDialect"),
      perCall,
      kyselyAlone(ordinary, issued, "SQLite"),
    ];
    await c.checkUnknown();
    const writes = await checkAll(c.portcullis, [c.bare, ...context]);
    const countSince = database.prepare<[number], { n: number }>(
      "select count(*) as n from portcullis_tokens where last_used_at > ?",
    );
    return {
      title: "11a. Token authentication through the store: SQLite, Kysely + better-sqlite3",
      portcullis: c.portcullis,
      bare: c.bare,
      context,
      rounds: STORE_ROUNDS,
      note: [
        "`KyselyTokenStore` + `KyselyUserStore` on `new Kysely({ dialect: new PreparedSqliteDialect({ database, directReads: true }) })`",
        "(the construction docs/stores.md recommends: statements prepared once, the hot reads run directly while no",
        "transaction holds the connection), a better-sqlite3 file in a temporary directory (WAL). Bare: the statements",
        `Kysely compiles for the two lookups, \`${tokenSql("?")}\` and \`${userSql("?")}\`,`,
        "prepared once on the same handle, `.get()`. Context: the same stores on Kysely's own `SqliteDialect` (the",
        "same handle), the bare lookups through `prepare(sql).all()` per query (what Kysely's SqliteDialect does), and",
        "Kysely alone on its own dialect (`db.selectFrom(…).selectAll().where(…).executeTakeFirst()` twice, no portcullis code).",
      ],
      ...writes,
      writesSince: async (since) => countSince.get(since)!.n,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

// ------------------------------------------------------------------------------------------ PostgreSQL

/** Runs one statement on a connection of its own (creating and dropping the schema). */
async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** PostgreSQL: a fresh schema (dropped afterwards), one pg Pool under Kysely's PostgresDialect and the bare side. */
export async function postgresBackend(): Promise<StoreBackend> {
  const schema = `portcullis_bench_${randomBytes(6).toString("hex")}`;
  await admin(`CREATE SCHEMA "${schema}"`);
  const pool = new pg.Pool({
    connectionString: PG_URL,
    options: `-c search_path=${schema}`,
    max: IN_FLIGHT,
    connectionTimeoutMillis: 5000,
  });
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  // As docs/stores.md recommends; `ordinary` is Kysely's own dialect on the same pool, for context.
  const db: AnyDb = new Kysely({ dialect: new PreparedPostgresDialect({ pool }) });
  const ordinary: AnyDb = new Kysely({ dialect: new PostgresDialect({ pool }) });
  const close = async () => {
    await db.destroy(); // ends the pool, which `ordinary` shares
    await admin(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  };
  try {
    await migrateToLatest(db);
    const label = "Kysely + PreparedPostgresDialect";
    const issued = await db
      .transaction()
      .execute((trx) =>
        issueAll(kyselyUsers(new KyselyUserStore({ db: trx })), new KyselyTokenStore({ db: trx })),
      );
    const tokenAuth = new TokenAuthentication({
      tokens: new KyselyTokenStore({ db }),
      users: new KyselyUserStore({ db }),
    });
    // Named statements: parsed and planned once per connection, then only bound and executed.
    const c = contenders(
      label,
      issued,
      tokenAuth,
      "pg pool.query, named (prepared) statements",
      async (digest) => {
        const token = await pool.query<SqlRow>({
          name: "bench-token",
          text: tokenSql("$1"),
          values: [digest],
        });
        const row = token.rows[0];
        if (row === undefined || expired(row)) return null;
        const user = await pool.query<SqlRow>({
          name: "bench-user",
          text: userSql("$1"),
          values: [row.user_id],
        });
        return ownerId(user.rows[0]);
      },
    );
    // What Kysely's PostgresDialect sends: an unnamed statement per query (parse, bind, execute).
    const unnamed = bareContender(
      issued,
      "pg pool.query, unnamed statements (as Kysely's driver)",
      async (digest) => {
        const row = (await pool.query<SqlRow>(tokenSql("$1"), [digest])).rows[0];
        if (row === undefined || expired(row)) return null;
        return ownerId((await pool.query<SqlRow>(userSql("$1"), [row.user_id])).rows[0]);
      },
    );
    const context = [
      c.direct,
      ordinaryDialect(ordinary, issued, "PostgresDialect"),
      kyselyAlone(ordinary, issued, "PostgreSQL"),
    ];
    await c.checkUnknown();
    const writes = await checkAll(c.portcullis, [
      c.bare,
      unnamed,
      ...context,
      c.concurrent.portcullis,
      c.concurrent.bare,
    ]);
    return {
      title: "11b. Token authentication through the store: PostgreSQL, Kysely + pg",
      portcullis: c.portcullis,
      bare: c.bare,
      peers: [unnamed],
      context,
      rounds: PG_ROUNDS,
      concurrent: c.concurrent,
      note: [
        "`KyselyTokenStore` + `KyselyUserStore` on `new Kysely({ dialect: new PreparedPostgresDialect({ pool }) })` (the",
        "construction docs/stores.md recommends: the stores' hot reads go as named statements), a `pg.Pool`",
        `(max ${IN_FLIGHT}) on 127.0.0.1 whose search_path is a fresh schema, dropped afterwards; the bare side uses the same pool.`,
        `Bare: \`pool.query({ name, text, values })\` with \`${tokenSql("$1")}\` and \`${userSql("$1")}\`,`,
        "named so each connection parses and plans them once; judged also against the same queries as unnamed",
        "statements (`pool.query(text, values)`: parse, bind and execute every time), which is what Kysely's own",
        "PostgresDialect sends. Context: the same stores on Kysely's own `PostgresDialect` (the same pool), and Kysely",
        "alone on it (the two selects, no portcullis code). The in-flight rows start",
        `${IN_FLIGHT} authentications at once and await them all (one call = ${IN_FLIGHT}), in rounds of their own after the others.`,
      ],
      ...writes,
      writesSince: async (since) => {
        const { rows } = await pool.query<{ n: string }>(
          "select count(*) as n from portcullis_tokens where last_used_at > $1",
          [since],
        );
        return Number(rows[0]!.n);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

// ----------------------------------------------------------------------------------------------- Redis

/** Redis: one ioredis client (the options docs/stores.md recommends) under the store and the bare side. */
export async function redisBackend(): Promise<StoreBackend> {
  const client = new Redis(REDIS_URL, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 5_000,
    lazyConnect: true,
  });
  client.on("error", () => {});
  const prefix = `{portcullis-bench:${randomUUID()}}:`;
  const close = async () => {
    const keys: string[] = [];
    for await (const batch of client.scanStream({ match: `${prefix}*`, count: 1000 }))
      keys.push(...(batch as string[]));
    for (let i = 0; i < keys.length; i += 500) await client.unlink(...keys.slice(i, i + 500));
    client.disconnect();
  };
  await client.connect();
  try {
    const label = "RedisTokenStore + MemoryUserStore";
    const users = new MemoryUserStore();
    const tokens = new RedisTokenStore({ client, prefix });
    const issued = await issueAll(
      { create: (i) => users.create({ username: `user${i}`, passwordHash: null }) },
      tokens,
    );
    const tokenAuth = new TokenAuthentication({ tokens, users });
    // The store keeps a token as a hash: HGETALL is its read (the issue's "GET" for this layout).
    const c = contenders(
      label,
      issued,
      tokenAuth,
      "ioredis HGETALL + the same MemoryUserStore.findById",
      async (digest) => {
        const fields = await client.hgetall(`${prefix}token:${digest}`);
        if (fields.userId === undefined) return null;
        if (fields.expiresAt !== undefined && Number(fields.expiresAt) < Date.now()) return null;
        const owner = await users.findById(fields.userId);
        return owner?.isActive ? owner.id : null;
      },
    );
    const context = [c.direct];
    await c.checkUnknown();
    const writes = await checkAll(c.portcullis, [
      c.bare,
      ...context,
      c.concurrent.portcullis,
      c.concurrent.bare,
    ]);
    return {
      title: "11c. Token authentication through the store: Redis, RedisTokenStore + ioredis",
      portcullis: c.portcullis,
      bare: c.bare,
      context,
      rounds: STORE_ROUNDS,
      concurrent: c.concurrent,
      note: [
        "`RedisTokenStore({ client, prefix })` on one ioredis client to 127.0.0.1 (`enableOfflineQueue: false`,",
        "`maxRetriesPerRequest: 1`, `commandTimeout`), a fresh key prefix deleted afterwards; the bare side uses the",
        "same client. The store keeps each token as a hash, so the bare read is `HGETALL <prefix>token:<digest>` (the",
        "issue's GET, for this layout), then the expiry. There is no Redis user store: both sides find the owner with",
        "the same `MemoryUserStore.findById` (a Map lookup and a copy, ~0.1 µs), so only the token side differs.",
      ],
      ...writes,
      writesSince: async (since) => {
        const pipeline = client.pipeline();
        for (const { token } of issued)
          pipeline.hget(`${prefix}token:${await tokenDigest(token)}`, "lastUsedAt");
        const answers = (await pipeline.exec()) ?? [];
        return answers.filter(([, value]) => Number(value) > since).length;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------- report

/** ns per call → operations per second, for a contender completing `ops` per call. */
function perSecond(rows: ReadonlyMap<string, Row["summary"]>, contender: StoreContender): Row {
  return {
    name: contender.name,
    summary: mapSummary(rows.get(contender.name)!, (ns) => (contender.ops * 1e9) / ns),
  };
}

/** Awaits `run` `calls` times, one at a time; the mean ns per call. */
async function timeBatch(run: () => Promise<unknown>, calls: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < calls; i++) await run();
  return ((performance.now() - started) * 1e6) / calls;
}

/** Calls `run` until `ms` have passed (at least once); the mean ns per call. */
async function timeFor(run: () => Promise<unknown>, ms: number): Promise<number> {
  const started = performance.now();
  let calls = 0;
  do {
    await run();
    calls++;
  } while (performance.now() < started + ms);
  return ((performance.now() - started) * 1e6) / calls;
}

/** A seeded pseudo-random generator (mulberry32), so every run shuffles the same way. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * bench/jwt-rounds.ts's `timedRounds` (warm-up and calibration bounded by time, then interleaved rounds
 * of ~`batchMs` per row), with the order of every round shuffled (seeded) rather than rotated. A rotation
 * always runs a row right after the same other row, and a row that leaves garbage behind (Kysely's
 * queries, better-sqlite3 statements prepared per call) charges its collection to whichever runs next:
 * shuffled, every row follows every other about equally often.
 */
export async function shuffledRounds(
  contenders: readonly Contender[],
  options: TimedRoundOptions,
): Promise<Map<string, Summary>> {
  const { rounds, batchMs, warmupMs, calibrateMs = 100 } = options;
  const warmupEnds = performance.now() + warmupMs * contenders.length;
  while (performance.now() < warmupEnds) {
    for (const contender of contenders) await timeFor(contender.run, batchMs);
  }
  const calls = new Map<string, number>();
  for (const contender of contenders) {
    const ns = await timeFor(contender.run, calibrateMs);
    calls.set(contender.name, Math.max(3, Math.round((batchMs * 1e6) / ns)));
  }
  const perRound = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const next = random(0x5eed);
  for (let round = 0; round < rounds; round++) {
    const order = [...contenders];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const contender of order) {
      perRound.get(contender.name)!.push(await timeBatch(contender.run, calls.get(contender.name)!));
    }
  }
  return new Map([...perRound].map(([name, values]) => [name, summarize(values)]));
}

/** Times one backend and builds its table; always closes it. */
async function timeBackend(
  make: () => Promise<StoreBackend>,
  minRatio: number,
  log: (message: string) => void,
): Promise<Comparison> {
  const backend = await make();
  try {
    const { portcullis, bare, peers = [], context, concurrent } = backend;
    const section = backend.title.slice(0, 3);
    const single = [portcullis, bare, ...peers, ...context];
    log(
      `${section} ${single.length} rows, ${backend.rounds.rounds} rounds of ~${backend.rounds.batchMs} ms each`,
    );
    const rows = await shuffledRounds(single, backend.rounds);
    if (concurrent) {
      log(`${section} ${IN_FLIGHT} in flight: ${CONCURRENT_ROUNDS.rounds} rounds`);
      const more = await shuffledRounds([concurrent.portcullis, concurrent.bare], CONCURRENT_ROUNDS);
      for (const [name, summary] of more) rows.set(name, summary);
    }
    const elapsed = Date.now() - backend.firstWriteAt;
    const writes = await backend.writesSince(backend.lastWriteAt);
    if (writes > 0 || elapsed >= LAST_USED_INTERVAL_MS) {
      log(
        `${section} WARNING: ${writes} lastUsedAt writes during the rounds (${elapsed} ms after the check pass)`,
      );
    }
    const target = { target: `>= ${minRatio.toFixed(2)}x`, pass: (r: number) => r >= minRatio };
    const baseline = perSecond(rows, bare);
    const judgedRow = perSecond(rows, portcullis);
    const peerRows = peers.map((p) => perSecond(rows, p));
    const judged: Judged[] = [
      { ...judgedRow, ...target, ...(peerRows.length > 0 || concurrent ? { against: baseline } : {}) },
      ...peerRows.map((against) => ({ ...judgedRow, ...target, against })),
    ];
    if (concurrent) {
      const against = perSecond(rows, concurrent.bare);
      judged.push({ ...perSecond(rows, concurrent.portcullis), ...target, against });
      peerRows.push(against);
    }
    return {
      title: backend.title,
      unit: "auth/s",
      ratioLabel: "portcullis / bare driver",
      baseline,
      judged,
      context: context.map((c) => perSecond(rows, c)),
      ...(peerRows.length > 0 ? { peers: peerRows } : {}),
      note: [
        ...backend.note,
        `${STORE_TOKENS.toLocaleString("en-US")} users with one token each (30-day expiry), issued through the store and cycled;`,
        "every run rejects unless the token's owner comes back, and before timing every row resolved every token and",
        "an unknown token failed on both sides. `lastUsedAt` (written at most once a minute per token) was written",
        `for every token by the check pass; the rounds ended ${(elapsed / 1000).toFixed(0)} s after it began, and the store held`,
        `${writes} lastUsedAt written during them: the timed runs are reads only. bench/README.md explains the choices.`,
      ].join("\n"),
    };
  } finally {
    await backend.close();
  }
}

/** Section 11: SQLite, PostgreSQL and Redis in turn, each timed in its own interleaved rounds. */
export async function storeComparisons(log: (message: string) => void): Promise<Comparison[]> {
  const out: Comparison[] = [];
  for (const [name, make, minRatio] of [
    ["11a. SQLite", sqliteBackend, STORE_MIN_RATIO],
    ["11b. PostgreSQL", postgresBackend, STORE_MIN_RATIO],
    ["11c. Redis", redisBackend, REDIS_MIN_RATIO],
  ] as const) {
    log(`${name}: seeding ${STORE_TOKENS} users and tokens, checking every contender`);
    out.push(await timeBackend(make, minRatio, log));
  }
  return out;
}

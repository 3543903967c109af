/**
 * The TokenStore conformance suite.
 */
import { PermissionDenied } from "../../core/errors.js";
import type { TokenRecord, TokenStore } from "../../stores/types.js";
import { DEFAULT_TOKEN_PREFIX, type IssuedToken, issueToken } from "../../tokens/issue.js";
import {
  type ConformanceExpect,
  type ConformanceOptions,
  type ConformanceTestAPI,
  DAY,
  defineTests,
  fulfilled,
  HOUR,
  hex64,
  iso,
  MINUTE,
  OWNERS,
  type StoreFactory,
} from "./harness.js";

/**
 * Registers the {@link TokenStore} contract as tests with the caller's runner: round trips of every
 * field (Dates as Dates, to the millisecond), `null` for unknown and inexact digests, a duplicate digest
 * refused, copies in and out, `delete`, `deleteForUser` (counts, other users untouched), `listForUser`
 * oldest first, `touch` (partial, `null` expiry, nothing for a missing digest), expired records (returned
 * or not, never an error), concurrent saves, and `maxTokensPerUser` under concurrency (issued as
 * `TokenAuthentication.issue` and `tokenLogin` issue, so through the store's atomic `saveWithinLimit` when
 * it has one).
 *
 * @param factory - makes a fresh, empty store per test (or a `{ store, cleanup }` fixture)
 * @param t - the runner's `{ describe, it, expect }`
 * @param options - title, timeout, date precision
 * @example
 * ```ts
 * import { describe, expect, it } from "vitest";
 * import { MemoryTokenStore } from "portcullis";
 * import { testTokenStore } from "portcullis/testing";
 *
 * testTokenStore(() => new MemoryTokenStore(), { describe, it, expect });
 * ```
 */
export function testTokenStore(
  factory: StoreFactory<TokenStore>,
  t: ConformanceTestAPI,
  options: ConformanceOptions = {},
): void {
  const test = defineTests(factory, t, options, "findByDigest");

  t.describe(options.name ?? "TokenStore conformance", () => {
    test("save then findByDigest round-trips every field, Dates as Dates", async ({ store, expect, at }) => {
      const full = token("a", "1", at, {
        name: "Ada’s laptop 💻 ü",
        expiresAt: at(30 * DAY),
        lastUsedAt: at(-HOUR),
      });
      const bare = token("b", "2", at, { name: null, expiresAt: null, lastUsedAt: null });
      await store.save(full);
      await store.save(bare);
      expect(shape(expect, await store.findByDigest(full.digest))).toEqual(shape(expect, full));
      expect(shape(expect, await store.findByDigest(bare.digest))).toEqual(shape(expect, bare));
    });

    test("findByDigest answers null for an unknown or inexact digest", async ({ store, expect, at }) => {
      const record = token("a", "1", at);
      await store.save(record);
      for (const digest of [
        hex64("z"),
        record.digest.toUpperCase(),
        record.digest.slice(0, 63),
        `${record.digest} `,
        `${record.digest}0`,
        `${record.digest.slice(0, 62)}%`,
        "",
      ]) {
        expect(await store.findByDigest(digest)).toBeNull();
      }
    });

    test("save refuses a digest that exists and keeps the first record", async ({ store, expect, at }) => {
      const first = token("a", "1", at);
      await store.save(first);
      await expect(store.save({ ...token("a", "2", at), name: "second" })).rejects.toThrow();
      expect(shape(expect, await store.findByDigest(first.digest))).toEqual(shape(expect, first));
      expect(await store.listForUser("2")).toHaveLength(0);
    });

    test("copies records in and out", async ({ store, expect, at }) => {
      const record = token("a", "1", at, { expiresAt: at(DAY), lastUsedAt: at(-MINUTE) });
      const expected = shape(expect, record)!;
      await store.save(record);
      record.name = "changed";
      record.userId = "2";
      record.createdAt.setTime(0);
      record.expiresAt?.setTime(0);
      const found = (await store.findByDigest(expected.digest))!;
      expect(shape(expect, found)).toEqual(expected);
      found.name = "changed";
      found.createdAt.setTime(0);
      found.expiresAt?.setTime(0);
      found.lastUsedAt?.setTime(0);
      const [listed] = await store.listForUser("1");
      listed!.name = "changed";
      listed!.expiresAt?.setTime(0);
      expect(shape(expect, await store.findByDigest(expected.digest))).toEqual(expected);
      expect((await store.listForUser("1")).map((r) => shape(expect, r))).toEqual([expected]);
    });

    test("delete answers true for a stored digest, false after and for an unknown one", async ({
      store,
      expect,
      at,
    }) => {
      await store.save(token("a", "1", at));
      await store.save(token("b", "1", at));
      expect(await store.delete(hex64("a"))).toBe(true);
      expect(await store.findByDigest(hex64("a"))).toBeNull();
      expect(await store.delete(hex64("a"))).toBe(false);
      expect(await store.delete(hex64("z"))).toBe(false);
      expect(shape(expect, await store.findByDigest(hex64("b")))).toEqual(shape(expect, token("b", "1", at)));
    });

    test("deleteForUser deletes that user's tokens, counts them, and leaves other users alone", async ({
      store,
      expect,
      at,
    }) => {
      for (const [label, userId] of OWNERS) await store.save(token(label, userId, at));
      expect(await store.deleteForUser("1")).toBe(3);
      expect(await store.deleteForUser("1")).toBe(0);
      expect(await store.deleteForUser("nobody")).toBe(0);
      for (const label of ["a", "c", "d"]) expect(await store.findByDigest(hex64(label))).toBeNull();
      expect(await store.listForUser("1")).toHaveLength(0);
      expect(await store.listForUser("2")).toHaveLength(1);
      expect(await store.listForUser("10")).toHaveLength(1);
    });

    test("listForUser lists one user's tokens, oldest first", async ({ store, expect, at }) => {
      const created = [3, 0, 2, 1].map((minutes, i) =>
        token(`t${i}`, "1", at, { createdAt: at(-DAY + minutes * MINUTE) }),
      );
      for (const record of created) await store.save(record);
      await store.save(token("other", "2", at));
      await store.save(token("prefix", "11", at));
      const listed = await store.listForUser("1");
      const oldestFirst = [...created].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
      expect(listed.map((r) => shape(expect, r))).toEqual(oldestFirst.map((r) => shape(expect, r)));
      expect(await store.listForUser("nobody")).toEqual([]);
    });

    test("touch changes lastUsedAt alone", async ({ store, expect, at }) => {
      const record = token("a", "1", at, { expiresAt: at(DAY), lastUsedAt: null });
      await store.save(record);
      await store.touch(record.digest, { lastUsedAt: at(MINUTE) });
      expect(shape(expect, await store.findByDigest(record.digest))).toEqual(
        shape(expect, { ...record, lastUsedAt: at(MINUTE) }),
      );
    });

    test("touch changes expiresAt alone, to a Date or to null", async ({ store, expect, at }) => {
      const record = token("a", "1", at, { expiresAt: at(DAY), lastUsedAt: at(-MINUTE) });
      await store.save(record);
      await store.touch(record.digest, { expiresAt: at(2 * DAY) });
      expect(shape(expect, await store.findByDigest(record.digest))).toEqual(
        shape(expect, { ...record, expiresAt: at(2 * DAY) }),
      );
      await store.touch(record.digest, { expiresAt: null });
      expect(shape(expect, await store.findByDigest(record.digest))).toEqual(
        shape(expect, { ...record, expiresAt: null }),
      );
    });

    test("touch changes both fields together, and nothing when given neither", async ({
      store,
      expect,
      at,
    }) => {
      const record = token("a", "1", at, { expiresAt: null, lastUsedAt: null });
      await store.save(record);
      await store.touch(record.digest, {});
      expect(shape(expect, await store.findByDigest(record.digest))).toEqual(shape(expect, record));
      const touched = { ...record, lastUsedAt: at(MINUTE), expiresAt: at(DAY + 5) };
      await store.touch(record.digest, { lastUsedAt: at(MINUTE), expiresAt: at(DAY + 5) });
      expect(shape(expect, await store.findByDigest(record.digest))).toEqual(shape(expect, touched));
      await store.save(token("b", "1", at));
      expect(shape(expect, await store.findByDigest(hex64("b")))).toEqual(shape(expect, token("b", "1", at)));
    });

    test("touch does nothing for a missing digest", async ({ store, expect, at }) => {
      await store.touch(hex64("gone"), { lastUsedAt: at(0), expiresAt: at(DAY) });
      await store.save(token("a", "1", at));
      await store.delete(hex64("a"));
      await store.touch(hex64("a"), { lastUsedAt: at(0) });
      expect(await store.findByDigest(hex64("gone"))).toBeNull();
      expect(await store.findByDigest(hex64("a"))).toBeNull();
      expect(await store.listForUser("1")).toEqual([]);
    });

    test("an expired token saves, and is found or not, never an error", async ({ store, expect, at }) => {
      const expired = token("a", "1", at, { createdAt: at(-2 * DAY), expiresAt: at(-DAY) });
      await store.save(expired);
      const found = await store.findByDigest(expired.digest);
      if (found !== null) expect(shape(expect, found)).toEqual(shape(expect, expired));
    });

    test("concurrent saves: distinct digests all succeed, one digest exactly once", async ({
      store,
      expect,
      at,
    }) => {
      const distinct = Array.from({ length: 20 }, (_, i) =>
        token(`d${i}`, "1", at, { createdAt: at(-DAY + i) }),
      );
      expect(fulfilled(await Promise.allSettled(distinct.map((r) => store.save(r))))).toBe(20);
      expect(await store.listForUser("1")).toHaveLength(20);
      const same = Array.from({ length: 10 }, (_, i) => ({ ...token("same", `u${i}`, at), name: `n${i}` }));
      expect(fulfilled(await Promise.allSettled(same.map((r) => store.save(r))))).toBe(1);
      const stored = await store.findByDigest(hex64("same"));
      const winners = same.filter((r) => r.name === stored?.name && r.userId === stored?.userId);
      expect(winners).toHaveLength(1);
      const listed = await Promise.all(same.map((r) => store.listForUser(r.userId)));
      expect(listed.flat()).toHaveLength(1);
    });

    test("maxTokensPerUser: 20 concurrent issues with a limit of 1 leave 1 token and 19 refusals", async ({
      store,
      expect,
    }) => {
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => issueWithin(store, "1", 1)));
      const issued = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      expect(issued).toHaveLength(1);
      const refusals = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
      expect(refusals).toHaveLength(19);
      for (const refusal of refusals) expectLimit(expect, refusal);
      const stored = await store.listForUser("1");
      expect(stored.map((r) => r.digest)).toEqual([issued[0]!.record.digest]);
    });

    test("maxTokensPerUser: concurrent issues stop at the limit, counting only the user's unexpired tokens", async ({
      store,
      expect,
    }) => {
      const now = Date.now();
      // Expired tokens and other users' tokens do not count.
      await store.save(
        token("old", "1", () => new Date(now), {
          createdAt: new Date(now - 2 * DAY),
          expiresAt: new Date(now - DAY),
        }),
      );
      for (const label of ["o1", "o2", "o3"]) await store.save(token(label, "2", () => new Date(now)));
      await store.save(token("live", "1", () => new Date(now), { expiresAt: new Date(now + DAY) }));
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) => issueWithin(store, "1", 4, { name: `n${i}` })),
      );
      expect(fulfilled(results)).toBe(3);
      const live = (await store.listForUser("1")).filter(
        (r) => r.expiresAt === null || r.expiresAt.getTime() > Date.now(),
      );
      expect(live).toHaveLength(4);
      expect(await store.listForUser("2")).toHaveLength(3);
      // At the limit one after another too; a revoked token frees its place.
      expectLimit(expect, await rejection(issueWithin(store, "1", 4)));
      expect(await store.delete(hex64("live"))).toBe(true);
      const { record } = await issueWithin(store, "1", 4, { ttl: 60 });
      expect((await store.findByDigest(record.digest))?.digest).toBe(record.digest);
      expectLimit(expect, await rejection(issueWithin(store, "1", 4)));
      expect(fulfilled(await Promise.allSettled([issueWithin(store, "2", 4)]))).toBe(1);
    });
  });
}

/** Issues a token as `TokenAuthentication.issue` does with `maxTokensPerUser: limit`. */
function issueWithin(
  store: TokenStore,
  userId: string,
  limit: number,
  options: { name?: string; ttl?: number } = {},
): Promise<IssuedToken> {
  return issueToken(store, userId, {
    ttl: options.ttl ?? null,
    name: options.name ?? null,
    prefix: DEFAULT_TOKEN_PREFIX,
    maxTokensPerUser: limit,
    events: undefined,
  });
}

/** Checks the refusal issuing throws over the limit (answered 403 by `tokenLogin`). */
function expectLimit(expect: ConformanceExpect, error: unknown): void {
  expect(error).toBeInstanceOf(PermissionDenied);
  const { status, code, detail } = error as PermissionDenied;
  expect({ status, code, detail }).toEqual({
    status: 403,
    code: "token_limit_exceeded",
    detail: "Maximum amount of tokens allowed per user exceeded.",
  });
}

/** What a promise rejected with (`undefined` when it resolved, which `expectLimit` then refuses). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** A token record: the digest from a label, created a day ago, no expiry, never used. */
function token(
  label: string,
  userId: string,
  at: (offsetMs: number) => Date,
  fields: Partial<Omit<TokenRecord, "digest" | "userId">> = {},
): TokenRecord {
  return {
    digest: hex64(label),
    userId,
    name: fields.name === undefined ? label : fields.name,
    createdAt: fields.createdAt ?? at(-DAY),
    expiresAt: fields.expiresAt ?? null,
    lastUsedAt: fields.lastUsedAt ?? null,
  };
}

/** The documented fields, Dates as ISO strings (checked to be Dates): a plain object for `toEqual`. */
function shape(expect: ConformanceExpect, record: TokenRecord | null) {
  if (record === null) return null;
  return {
    digest: record.digest,
    userId: record.userId,
    name: record.name,
    createdAt: iso(expect, record.createdAt),
    expiresAt: iso(expect, record.expiresAt),
    lastUsedAt: iso(expect, record.lastUsedAt),
  };
}

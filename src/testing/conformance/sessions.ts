/**
 * The SessionStore conformance suite.
 */
import type { SessionRecord, SessionStore } from "../../stores/types.js";
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
 * Registers the {@link SessionStore} contract as tests with the caller's runner: round trips of every
 * field (Dates as Dates, to the millisecond, and JSON data with nested objects, unicode and numbers),
 * `null` for unknown and inexact digests, a duplicate digest refused, copies in and out, `touch` (the
 * idle expiry alone; nothing for a missing session), `delete`, `deleteForUser` (counts, other users
 * untouched), expired sessions (returned or not, never an error) and concurrent creates.
 *
 * @param factory - makes a fresh, empty store per test (or a `{ store, cleanup }` fixture)
 * @param t - the runner's `{ describe, it, expect }`
 * @param options - title, timeout, date precision
 * @example
 * ```ts
 * import { describe, expect, it } from "vitest";
 * import { MemorySessionStore } from "portcullis";
 * import { testSessionStore } from "portcullis/testing";
 *
 * testSessionStore(() => new MemorySessionStore(), { describe, it, expect });
 * ```
 */
export function testSessionStore(
  factory: StoreFactory<SessionStore>,
  t: ConformanceTestAPI,
  options: ConformanceOptions = {},
): void {
  const test = defineTests(factory, t, options, "deleteForUser");

  t.describe(options.name ?? "SessionStore conformance", () => {
    test("create then get round-trips every field, Dates as Dates", async ({ store, expect, at }) => {
      const record = session("a", "1", at);
      const empty = { ...session("b", "2", at), data: {} };
      await store.create(record);
      await store.create(empty);
      expect(shape(expect, await store.get(record.idDigest))).toEqual(shape(expect, record));
      expect(shape(expect, await store.get(empty.idDigest))).toEqual(shape(expect, empty));
    });

    test("round-trips JSON data: nesting, unicode, numbers, booleans, null", async ({
      store,
      expect,
      at,
    }) => {
      const data = {
        _auth_user_id: "1",
        _auth_user_hash: "c2f1a7e0d3b4",
        nested: { deeper: { deepest: [1, [2, [3, { four: 4 }]]] }, empty: {}, none: [] },
        unicode: 'Zoë 用户 \u202bעברית\u202c 😀 e\u0301 \u2028\u2029 "quotes" \\ </script> \t\n',
        "keys.with.dots": { $dollar: true, ключ: "значение", "": "empty key" },
        numbers: [0, -1, 42, 1.5, 0.1, -(2 ** 31), 2 ** 53 - 1, 1e-7, 1e21, 123456.789],
        booleans: [true, false],
        nothing: null,
        text: "",
      };
      await store.create({ ...session("a", "1", at), data });
      expect((await store.get(hex64("a")))?.data).toEqual(data);
    });

    test("get answers null for an unknown or inexact digest", async ({ store, expect, at }) => {
      const record = session("a", "1", at);
      await store.create(record);
      for (const digest of [
        hex64("z"),
        record.idDigest.toUpperCase(),
        record.idDigest.slice(0, 63),
        `${record.idDigest} `,
        `${record.idDigest.slice(0, 62)}%`,
        "",
      ]) {
        expect(await store.get(digest)).toBeNull();
      }
    });

    test("create refuses a digest that exists and keeps the first session", async ({ store, expect, at }) => {
      const first = session("a", "1", at);
      await store.create(first);
      await expect(store.create({ ...session("a", "2", at), data: { second: true } })).rejects.toThrow();
      expect(shape(expect, await store.get(first.idDigest))).toEqual(shape(expect, first));
      expect(await store.deleteForUser("2")).toBe(0);
    });

    test("copies sessions in and out, data included", async ({ store, expect, at }) => {
      const record = session("a", "1", at);
      const expected = shape(expect, record);
      await store.create(record);
      record.userId = "2";
      record.expiresAt.setTime(0);
      (record.data.cart as { items: number[] }).items.push(99);
      record.data.added = true;
      const found = await store.get(hex64("a"));
      expect(shape(expect, found)).toEqual(expected);
      found!.absoluteExpiresAt.setTime(0);
      found!.createdAt.setTime(0);
      (found!.data.cart as { items: number[] }).items.push(99);
      found!.data.added = true;
      expect(shape(expect, await store.get(hex64("a")))).toEqual(expected);
    });

    test("touch moves the idle expiry and nothing else", async ({ store, expect, at }) => {
      const record = session("a", "1", at);
      const other = session("b", "1", at);
      await store.create(record);
      await store.create(other);
      await store.touch(record.idDigest, at(90 * MINUTE));
      expect(shape(expect, await store.get(record.idDigest))).toEqual(
        shape(expect, { ...record, expiresAt: at(90 * MINUTE) }),
      );
      await store.touch(record.idDigest, at(3 * HOUR + 7));
      expect(shape(expect, await store.get(record.idDigest))).toEqual(
        shape(expect, { ...record, expiresAt: at(3 * HOUR + 7) }),
      );
      expect(shape(expect, await store.get(other.idDigest))).toEqual(shape(expect, other));
    });

    test("touch does nothing for a missing session", async ({ store, expect, at }) => {
      await store.touch(hex64("gone"), at(HOUR));
      await store.create(session("a", "1", at));
      await store.delete(hex64("a"));
      await store.touch(hex64("a"), at(HOUR));
      expect(await store.get(hex64("gone"))).toBeNull();
      expect(await store.get(hex64("a"))).toBeNull();
      expect(await store.deleteForUser("1")).toBe(0);
    });

    test("delete answers true for a stored session, false after and for an unknown one", async ({
      store,
      expect,
      at,
    }) => {
      await store.create(session("a", "1", at));
      await store.create(session("b", "1", at));
      expect(await store.delete(hex64("a"))).toBe(true);
      expect(await store.get(hex64("a"))).toBeNull();
      expect(await store.delete(hex64("a"))).toBe(false);
      expect(await store.delete(hex64("z"))).toBe(false);
      expect(shape(expect, await store.get(hex64("b")))).toEqual(shape(expect, session("b", "1", at)));
    });

    test("deleteForUser deletes that user's sessions, counts them, and leaves other users alone", async ({
      store,
      expect,
      at,
    }) => {
      for (const [label, userId] of OWNERS) await store.create(session(label, userId, at));
      expect(await store.deleteForUser("1")).toBe(3);
      expect(await store.deleteForUser("1")).toBe(0);
      expect(await store.deleteForUser("nobody")).toBe(0);
      for (const label of ["a", "c", "d"]) expect(await store.get(hex64(label))).toBeNull();
      expect(shape(expect, await store.get(hex64("b")))).toEqual(shape(expect, session("b", "2", at)));
      expect(shape(expect, await store.get(hex64("e")))).toEqual(shape(expect, session("e", "10", at)));
    });

    test("an expired session creates, and is found or not, never an error", async ({ store, expect, at }) => {
      const idle = { ...session("a", "1", at), createdAt: at(-DAY), expiresAt: at(-HOUR) };
      const absolute = { ...session("b", "1", at), createdAt: at(-DAY), absoluteExpiresAt: at(-HOUR) };
      for (const record of [idle, absolute]) {
        await store.create(record);
        const found = await store.get(record.idDigest);
        if (found !== null) expect(shape(expect, found)).toEqual(shape(expect, record));
      }
    });

    test("concurrent creates: distinct digests all succeed, one digest exactly once", async ({
      store,
      expect,
      at,
    }) => {
      const distinct = Array.from({ length: 20 }, (_, i) => session(`d${i}`, "1", at));
      expect(fulfilled(await Promise.allSettled(distinct.map((r) => store.create(r))))).toBe(20);
      for (const record of distinct) {
        expect(shape(expect, await store.get(record.idDigest))).toEqual(shape(expect, record));
      }
      const same = Array.from({ length: 10 }, (_, i) => ({ ...session("same", `u${i}`, at), data: { i } }));
      expect(fulfilled(await Promise.allSettled(same.map((r) => store.create(r))))).toBe(1);
      const stored = await store.get(hex64("same"));
      expect(same.filter((r) => r.userId === stored?.userId && r.data.i === stored?.data.i)).toHaveLength(1);
    });
  });
}

/** A live session: the digest from a label, created a minute ago, idle expiry in 2 h, absolute in 14 days. */
function session(label: string, userId: string, at: (offsetMs: number) => Date): SessionRecord {
  return {
    idDigest: hex64(label),
    userId,
    createdAt: at(-MINUTE),
    expiresAt: at(2 * HOUR),
    absoluteExpiresAt: at(14 * DAY),
    data: { _auth_user_hash: `hash-of-${userId}`, cart: { items: [1, 2] } },
  };
}

/** The documented fields, Dates as ISO strings (checked to be Dates): a plain object for `toEqual`. */
function shape(expect: ConformanceExpect, record: SessionRecord | null) {
  if (record === null) return null;
  return {
    idDigest: record.idDigest,
    userId: record.userId,
    createdAt: iso(expect, record.createdAt),
    expiresAt: iso(expect, record.expiresAt),
    absoluteExpiresAt: iso(expect, record.absoluteExpiresAt),
    data: JSON.parse(JSON.stringify(record.data)) as Record<string, unknown>,
  };
}

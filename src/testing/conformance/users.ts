/**
 * The UserStore conformance suite.
 */
import type { CreateUserInput, UserRecord, UserStore } from "../../stores/types.js";
import {
  type ConformanceExpect,
  type ConformanceOptions,
  type ConformanceTestAPI,
  defineTests,
  fulfilled,
  iso,
  type StoreFactory,
} from "./harness.js";

/**
 * A {@link UserStore} that implements the optional `create`, as {@link testUserStore} needs to add users.
 *
 * @example
 * ```ts
 * const users: CreatableUserStore<DefaultUser> = new MemoryUserStore();
 * ```
 */
export interface CreatableUserStore<User = unknown> extends UserStore<User> {
  /** Creates a user: required here, optional in {@link UserStore}. */
  create(input: CreateUserInput<User>): Promise<UserRecord<User>>;
}

const HASH = "pbkdf2_sha256$600000$c2FsdHNhbHQ$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY=";
const OTHER_HASH = "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaGhhc2hoYXNo";

/**
 * Registers the {@link UserStore} contract as tests with the caller's runner: `create` (ids, the
 * `isActive` default, `null` and unusable password hashes) and both lookups returning the same record,
 * `null` for unknown ids and usernames, exact usernames (case, whitespace, prefixes, SQL `LIKE`
 * wildcards, Unicode normalisation forms), a duplicate username refused, copies in and out,
 * `setPasswordHash`, `updateLastLogin` when the store has it, and concurrent creates.
 *
 * @param factory - makes a fresh, empty store per test (or a `{ store, cleanup }` fixture); the store must
 *   implement `create`
 * @param t - the runner's `{ describe, it, expect }`
 * @param options - title, timeout, date precision
 * @example
 * ```ts
 * import { describe, expect, it } from "vitest";
 * import { MemoryUserStore } from "portcullis";
 * import { testUserStore } from "portcullis/testing";
 *
 * testUserStore(() => new MemoryUserStore(), { describe, it, expect });
 * ```
 */
export function testUserStore<User = unknown>(
  factory: StoreFactory<CreatableUserStore<User>>,
  t: ConformanceTestAPI,
  options: ConformanceOptions = {},
): void {
  const test = defineTests(factory, t, options, "findByUsername");

  t.describe(options.name ?? "UserStore conformance", () => {
    test("create returns the record that findById and findByUsername find", async ({ store, expect }) => {
      const created = await store.create({ username: "ada", passwordHash: HASH });
      expect(typeof created.id).toBe("string");
      expect(created.id.length).toBeGreaterThan(0);
      const expected = { id: created.id, username: "ada", passwordHash: HASH, isActive: true };
      expect(shape(expect, created)).toEqual({ ...expected, lastLogin: null });
      const byId = await store.findById(created.id);
      const byName = await store.findByUsername("ada");
      expect(shape(expect, byId)).toEqual(shape(expect, created));
      expect(shape(expect, byName)).toEqual(shape(expect, created));
      expect(byId?.user).toEqual(created.user);
      expect(byName?.user).toEqual(created.user);
    });

    test("create keeps isActive false, a null hash and an unusable hash", async ({ store, expect }) => {
      const inputs: CreateUserInput<User>[] = [
        { username: "inactive", passwordHash: HASH, isActive: false },
        { username: "no-password", passwordHash: null },
        { username: "unusable", passwordHash: "!Xk3v9QmT1c8sJ2wR7pL0aZ5yN4bH6dF" },
        { username: "explicitly-active", passwordHash: OTHER_HASH, isActive: true },
      ];
      const ids = new Set<string>();
      for (const input of inputs) {
        const created = await store.create({ ...input });
        ids.add(created.id);
        const expected = {
          id: created.id,
          username: input.username,
          passwordHash: input.passwordHash,
          isActive: input.isActive ?? true,
          lastLogin: null,
        };
        expect(shape(expect, await store.findById(created.id))).toEqual(expected);
        expect(shape(expect, await store.findByUsername(input.username))).toEqual(expected);
      }
      expect(ids.size).toBe(inputs.length);
    });

    test("findById and findByUsername answer null for unknown keys", async ({ store, expect }) => {
      expect(await store.findByUsername("ada")).toBeNull();
      const created = await store.create({ username: "ada", passwordHash: HASH });
      for (const id of ["no-such-user", "999999999", `${created.id}0`, ` ${created.id}`]) {
        expect(await store.findById(id)).toBeNull();
      }
      expect(await store.findByUsername("bob")).toBeNull();
    });

    test("findByUsername compares exactly: case, whitespace, prefixes, wildcards, normalisation", async ({
      store,
      expect,
    }) => {
      await store.create({ username: "ada", passwordHash: HASH });
      await store.create({ username: "a_b", passwordHash: HASH });
      await store.create({ username: "caf\u00e9", passwordHash: HASH }); // NFC
      for (const username of [
        "Ada",
        "ADA",
        "ada ",
        " ada",
        "ad",
        "adam",
        "a%",
        "a_a",
        "acb",
        "cafe\u0301",
        "",
      ]) {
        expect(await store.findByUsername(username)).toBeNull();
      }
      // Usernames differing only in case are different users (Django's username is case-sensitive).
      const upper = await store.create({ username: "Ada", passwordHash: OTHER_HASH });
      const decomposed = await store.create({ username: "cafe\u0301", passwordHash: OTHER_HASH }); // NFD
      expect(shape(expect, await store.findByUsername("Ada"))).toEqual(shape(expect, upper));
      expect(shape(expect, await store.findByUsername("cafe\u0301"))).toEqual(shape(expect, decomposed));
      expect((await store.findByUsername("ada"))?.passwordHash).toBe(HASH);
      expect((await store.findByUsername("caf\u00e9"))?.passwordHash).toBe(HASH);
    });

    test("round-trips unicode and punctuation in usernames", async ({ store, expect }) => {
      for (const username of ["Zoë", "用户名", "ada@example.com", "a.b+c-d", "emoji😀", "x".repeat(150)]) {
        const created = await store.create({ username, passwordHash: HASH });
        expect((await store.findByUsername(username))?.id).toBe(created.id);
        expect((await store.findById(created.id))?.username).toBe(username);
      }
    });

    test("create refuses a username that exists and keeps the first user", async ({ store, expect }) => {
      const first = await store.create({ username: "ada", passwordHash: HASH });
      await expect(
        store.create({ username: "ada", passwordHash: OTHER_HASH, isActive: false }),
      ).rejects.toThrow();
      expect(shape(expect, await store.findByUsername("ada"))).toEqual(shape(expect, first));
    });

    test("copies records in and out", async ({ store, expect }) => {
      const input: CreateUserInput<User> = { username: "ada", passwordHash: HASH };
      const created = await store.create(input);
      const expected = shape(expect, created);
      input.username = "eve";
      input.passwordHash = OTHER_HASH;
      created.username = "eve";
      created.passwordHash = OTHER_HASH;
      created.isActive = false;
      const found = await store.findById(expected!.id);
      expect(shape(expect, found)).toEqual(expected);
      found!.username = "eve";
      found!.passwordHash = OTHER_HASH;
      found!.isActive = false;
      expect(shape(expect, await store.findByUsername("ada"))).toEqual(expected);
      expect(await store.findByUsername("eve")).toBeNull();
    });

    test("setPasswordHash changes that user's hash and nothing else", async ({ store, expect }) => {
      const ada = await store.create({ username: "ada", passwordHash: HASH });
      const bob = await store.create({ username: "bob", passwordHash: HASH });
      await store.setPasswordHash(ada.id, OTHER_HASH);
      const changed = { ...shape(expect, ada), passwordHash: OTHER_HASH };
      expect(shape(expect, await store.findById(ada.id))).toEqual(changed);
      expect(shape(expect, await store.findByUsername("ada"))).toEqual(changed);
      expect(shape(expect, await store.findById(bob.id))).toEqual(shape(expect, bob));
      await store.setPasswordHash(ada.id, "!unusable");
      expect((await store.findById(ada.id))?.passwordHash).toBe("!unusable");
    });

    test("updateLastLogin, when the store has it, records a Date for that user alone", async ({
      store,
      expect,
      at,
    }) => {
      if (store.updateLastLogin === undefined) return;
      const ada = await store.create({ username: "ada", passwordHash: HASH });
      const bob = await store.create({ username: "bob", passwordHash: HASH });
      const when = at(-1234);
      await store.updateLastLogin(ada.id, when);
      when.setTime(0);
      const logged = { ...shape(expect, ada), lastLogin: iso(expect, at(-1234)) };
      expect(shape(expect, await store.findById(ada.id))).toEqual(logged);
      expect(shape(expect, await store.findByUsername("ada"))).toEqual(logged);
      expect(shape(expect, await store.findById(bob.id))).toEqual(shape(expect, bob));
      await store.updateLastLogin(ada.id, at(0));
      expect(iso(expect, (await store.findById(ada.id))?.lastLogin ?? null)).toBe(iso(expect, at(0)));
    });

    test("concurrent creates: distinct usernames all succeed, one username exactly once", async ({
      store,
      expect,
    }) => {
      const names = Array.from({ length: 20 }, (_, i) => `user${i}`);
      const created = await Promise.all(
        names.map((username) => store.create({ username, passwordHash: HASH })),
      );
      expect(new Set(created.map((record) => record.id)).size).toBe(20);
      for (const record of created) expect((await store.findByUsername(record.username))?.id).toBe(record.id);
      const attempts = Array.from({ length: 10 }, (_, i) =>
        store.create({ username: "same", passwordHash: `${HASH}${i}` }),
      );
      expect(fulfilled(await Promise.allSettled(attempts))).toBe(1);
      expect((await store.findByUsername("same"))?.username).toBe("same");
    });
  });
}

/** The documented fields except `user`: a plain object for `toEqual`. */
function shape(expect: ConformanceExpect, record: UserRecord<unknown> | null) {
  if (record === null) return null;
  return {
    id: record.id,
    username: record.username,
    passwordHash: record.passwordHash,
    isActive: record.isActive,
    lastLogin: iso(expect, record.lastLogin ?? null),
  };
}

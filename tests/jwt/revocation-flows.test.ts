/**
 * The token service's revocation flows: concurrent rotation (security.md §2E-42), the order of the
 * blacklist and the user checks at refresh, and logout reaching access tokens with `checkRevokedAccess`.
 */
import { createHmac, generateKeyPairSync } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createJWTHandlers, JWTAuthentication, StoreUnavailable } from "../../src/index.js";
import type { InvalidToken } from "../../src/jwt/errors.js";
import { JWTService } from "../../src/jwt/service.js";
import type { JWTSettings } from "../../src/jwt/settings.js";
import { MemoryRevocationStore, MemoryUserStore } from "../../src/stores/memory.js";
import type { RevocationStore, UserStore } from "../../src/stores/types.js";
import { makeRequest } from "../../src/testing/index.js";
import { refused } from "./refused.js";

const SECRET = "a-test-secret-that-is-at-least-32-bytes-long";
const T0 = 1_800_000_000;

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;

/** An HS256 token over exactly these claims, signed with SECRET (independently of the service). */
function forge(claims: Record<string, unknown>): string {
  const head = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString("base64url");
  const body = Buffer.from(JSON.stringify(claims)).toString("base64url");
  const signature = createHmac("sha256", SECRET).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${signature}`;
}

async function setup(settings: Partial<JWTSettings> = {}) {
  const users = new MemoryUserStore();
  const ada = await users.create({ username: "ada", passwordHash: "pbkdf2_sha256$1$salt$hash" });
  const revocations = new MemoryRevocationStore();
  const jwt = new JWTService({ signingKey: SECRET, users, revocations, ...settings });
  return { users, ada, revocations, jwt };
}

afterEach(() => vi.useRealTimers());

/**
 * Moves the clock past the default reuse grace window (5 s). Only `Date` is faked: the memory store
 * stamps `consumedAt` and the service compares with `Date.now()`; promises and timers run as usual.
 */
function pastGrace(seconds = 5): void {
  vi.useFakeTimers({ now: Date.now() + seconds * 1000 + 1, toFake: ["Date"] });
}

describe("concurrent refreshes of one token (rotation with reuse detection)", () => {
  for (const blacklistAfterRotation of [false, true]) {
    it(`one of 50 wins, the others are refused, and the winner's token rotates on (blacklistAfterRotation ${blacklistAfterRotation})`, async () => {
      const { jwt } = await setup({ rotateRefreshTokens: true, blacklistAfterRotation });
      const { refresh } = await jwt.obtainPair({ id: "1" });
      const results = await Promise.allSettled(Array.from({ length: 50 }, () => jwt.refresh(refresh)));
      const won = results.filter((r) => r.status === "fulfilled");
      expect(won).toHaveLength(1);
      for (const result of results) {
        if (result.status === "rejected") {
          expect(result.reason).toMatchObject({ code: "token_not_valid", detail: "Token is blacklisted" });
        }
      }
      const child = (won[0] as PromiseFulfilledResult<{ access: string; refresh?: string }>).value;
      await expect(jwt.validate(child.access, "access")).resolves.toMatchObject({ token_type: "access" });
      const grandchild = await jwt.refresh(child.refresh!);
      expect(grandchild.refresh).toEqual(expect.any(String));
      // A replay once the grace window is over is reuse: the family goes, the newest token with it.
      pastGrace();
      await refused(jwt.refresh(refresh), "Token is blacklisted");
      await refused(jwt.refresh(grandchild.refresh!), "Token is blacklisted");
    });
  }

  it("through the refresh endpoint: exactly one 200, whose refresh token works afterwards", async () => {
    const { jwt } = await setup({ rotateRefreshTokens: true });
    const api = createJWTHandlers(jwt);
    const { refresh } = await jwt.obtainPair({ id: "1" });
    const post = (token: string) =>
      api.refresh(
        new Request("https://api.example.com/api/token/refresh/", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ refresh: token }),
        }),
      );
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(refresh)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, ...Array(19).fill(401)]);
    const winner = answers.find((a) => a.status === 200)!;
    const body = (await winner.json()) as { access: string; refresh: string };
    for (const answer of answers.filter((a) => a !== winner)) {
      expect(await answer.json()).toEqual({ detail: "Token is blacklisted", code: "token_not_valid" });
    }
    expect((await post(body.refresh)).status).toBe(200);
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const jtiOf = (token: string) => claimsOf(token).jti as string;

describe("the reuse grace window (reuseGraceSeconds, issue 17 item 18)", () => {
  for (const blacklistAfterRotation of [false, true]) {
    it(`10 refreshes of one token, at once and just after the winner finished: one winner, the family lives, 25 times in 25 (blacklistAfterRotation ${blacklistAfterRotation})`, async () => {
      const { jwt, revocations } = await setup({ rotateRefreshTokens: true, blacklistAfterRotation });
      for (let round = 0; round < 25; round++) {
        const { refresh } = await jwt.obtainPair({ id: "1" });
        // Half fire together, half a few milliseconds later: after the winner's rotation is over.
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) => sleep(i < 5 ? 0 : i).then(() => jwt.refresh(refresh))),
        );
        const won = results.filter((r) => r.status === "fulfilled");
        expect(won, `round ${round}`).toHaveLength(1);
        for (const result of results) {
          if (result.status === "rejected") {
            expect(result.reason).toMatchObject({ code: "token_not_valid", detail: "Token is blacklisted" });
          }
        }
        const child = (won[0] as PromiseFulfilledResult<{ refresh?: string }>).value.refresh!;
        expect(await revocations.isRevoked(jtiOf(child)), `round ${round}`).toBe(false);
        await expect(jwt.refresh(child)).resolves.toHaveProperty("refresh");
      }
    });
  }

  it("a second use within the window is refused and revokes nothing; after it, it revokes the family", async () => {
    const { jwt, revocations } = await setup({ rotateRefreshTokens: true, reuseGraceSeconds: 30 });
    const { refresh } = await jwt.obtainPair({ id: "1" });
    const { refresh: child } = await jwt.refresh(refresh);
    pastGrace(29);
    await refused(jwt.refresh(refresh), "Token is blacklisted");
    expect(await revocations.isRevoked(jtiOf(child!))).toBe(false);
    const { refresh: grandchild } = await jwt.refresh(child!);
    pastGrace(1);
    await refused(jwt.refresh(refresh), "Token is blacklisted");
    expect(await revocations.isRevoked(jtiOf(grandchild!))).toBe(true);
    await refused(jwt.refresh(grandchild!), "Token is blacklisted");
  });

  it("through the refresh endpoint: the duplicate answers simplejwt's 401, the winner's token lives on", async () => {
    const { jwt } = await setup({ rotateRefreshTokens: true, blacklistAfterRotation: true });
    const api = createJWTHandlers(jwt);
    const post = (refresh: string) =>
      api.refresh(
        new Request("https://api.example.com/api/token/refresh/", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ refresh }),
        }),
      );
    const { refresh } = await jwt.obtainPair({ id: "1" });
    const first = await post(refresh);
    expect(first.status).toBe(200);
    const duplicate = await post(refresh);
    expect(duplicate.status).toBe(401);
    expect(duplicate.headers.get("www-authenticate")).toBe('Bearer realm="api"');
    expect(await duplicate.json()).toEqual({ detail: "Token is blacklisted", code: "token_not_valid" });
    const { refresh: child } = (await first.json()) as { refresh: string };
    expect((await post(child)).status).toBe(200);
  });

  it("0 is strict RFC 9700: a duplicate right after the rotation revokes the family", async () => {
    const { jwt } = await setup({ rotateRefreshTokens: true, reuseGraceSeconds: 0 });
    const { refresh } = await jwt.obtainPair({ id: "1" });
    const { refresh: child } = await jwt.refresh(refresh);
    await refused(jwt.refresh(refresh), "Token is blacklisted");
    await refused(jwt.refresh(child!), "Token is blacklisted");
  });

  it("a blacklisted token that was never rotated is refused and revokes nothing else", async () => {
    const { jwt, revocations } = await setup({ rotateRefreshTokens: true, reuseGraceSeconds: 0 });
    const { refresh } = await jwt.obtainPair({ id: "1" });
    const claims = claimsOf(refresh);
    await revocations.recordOutstanding({
      jti: "sibling",
      userId: "1",
      familyId: claims.family_id as string,
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    await revocations.revoke(claims.jti as string, new Date(Date.now() + 3_600_000));
    await refused(jwt.refresh(refresh), "Token is blacklisted");
    expect(await revocations.isRevoked("sibling")).toBe(false);
  });

  it("refuses a window that is not a number of seconds", () => {
    for (const reuseGraceSeconds of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new JWTService({ signingKey: SECRET, reuseGraceSeconds })).toThrow(
        new RangeError(
          'reuseGraceSeconds must be a number of seconds or a string such as "30d", "12h", "5m" or "300s".',
        ),
      );
    }
    expect(new JWTService({ signingKey: SECRET }).settings.reuseGraceSeconds).toBe(5);
  });
});

describe("logout of a rotated refresh token (issue 17 item 17)", () => {
  for (const blacklistAfterRotation of [false, true]) {
    it(`blacklisting a token that was already rotated revokes the family: the thief's token dies (blacklistAfterRotation ${blacklistAfterRotation})`, async () => {
      const { jwt, ada } = await setup({
        rotateRefreshTokens: true,
        blacklistAfterRotation,
        checkRevokedAccess: true,
      });
      const api = createJWTHandlers(jwt);
      const victim = await jwt.obtainPair(ada);
      const thief = await jwt.refresh(victim.refresh); // the thief rotated it first, a moment ago
      const logout = await api.blacklist(
        new Request("https://api.example.com/api/token/blacklist/", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ refresh: victim.refresh }),
        }),
      );
      expect(logout.status).toBe(401);
      expect(await logout.json()).toEqual({ detail: "Token is blacklisted", code: "token_not_valid" });
      await refused(jwt.refresh(thief.refresh!), "Token is blacklisted");
      await refused(jwt.validate(thief.access, "access"), "Token is blacklisted");
      await refused(jwt.refresh(victim.refresh), "Token is blacklisted");
      await refused(jwt.verify(victim.refresh), "Token is blacklisted");
    });
  }

  it("a plain logout revokes the family too, and a second logout says the token is blacklisted", async () => {
    const { jwt, ada } = await setup({ rotateRefreshTokens: true });
    const first = await jwt.obtainPair(ada);
    const { refresh } = await jwt.refresh(first.refresh);
    await jwt.blacklist(refresh!);
    await refused(jwt.refresh(refresh!), "Token is blacklisted");
    await refused(jwt.blacklist(refresh!), "Token is blacklisted");
    await refused(jwt.verify(refresh!), "Token is blacklisted");
    const other = await jwt.obtainPair(ada); // another login is untouched
    await expect(jwt.refresh(other.refresh)).resolves.toHaveProperty("refresh");
  });

  for (const blacklistAfterRotation of [false, true]) {
    it(`a logout racing the thief's refresh: exactly one is effective and the family is revoked, 40 times in 40 (blacklistAfterRotation ${blacklistAfterRotation})`, async () => {
      const { jwt, ada, revocations } = await setup({ rotateRefreshTokens: true, blacklistAfterRotation });
      const winners = { refresh: 0, logout: 0 };
      for (let round = 0; round < 40; round++) {
        const { refresh } = await jwt.obtainPair(ada);
        const family = claimsOf(refresh).family_id as string;
        // Either may start first, and one may come a moment after the other finished.
        const delays = [round % 4 === 1 ? 2 : 0, round % 4 === 3 ? 2 : 0];
        const calls = [() => jwt.refresh(refresh), () => jwt.blacklist(refresh)] as const;
        const order = round % 2 === 0 ? [0, 1] : [1, 0];
        const settled: PromiseSettledResult<unknown>[] = [];
        await Promise.all(
          order.map(async (which, i) => {
            await sleep(delays[i]!);
            settled[which] = await Promise.allSettled([calls[which]!()]).then((r) => r[0]!);
          }),
        );
        const [refreshed, logout] = settled as [
          PromiseSettledResult<{ refresh?: string }>,
          PromiseSettledResult<void>,
        ];
        expect(
          [refreshed.status, logout.status].filter((status) => status === "fulfilled"),
          `round ${round}`,
        ).toHaveLength(1);
        for (const outcome of [refreshed, logout]) {
          if (outcome.status === "rejected") {
            expect(outcome.reason).toMatchObject({ code: "token_not_valid", detail: "Token is blacklisted" });
          }
        }
        if (refreshed.status === "fulfilled") {
          winners.refresh++;
          await refused(jwt.refresh(refreshed.value.refresh!), "Token is blacklisted");
        } else winners.logout++;
        // The family is revoked: a token recorded in it now is revoked on arrival.
        await revocations.recordOutstanding({
          jti: `late-${round}`,
          userId: ada.id,
          familyId: family,
          expiresAt: new Date(Date.now() + 3_600_000),
        });
        expect(await revocations.isRevoked(`late-${round}`)).toBe(true);
        await refused(jwt.refresh(refresh), "Token is blacklisted");
      }
      expect(winners.refresh + winners.logout).toBe(40);
    });
  }
});

/** A store whose every method throws StoreUnavailable while `down` is set, as a lost database does. */
function faulty<S extends object>(inner: S, name: string): { store: S; down: boolean } {
  const control = { down: false, store: inner };
  control.store = new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) =>
        control.down
          ? Promise.reject(new StoreUnavailable(name, { cause: new Error("connection refused") }))
          : value.apply(target, args);
    },
  });
  return control;
}

describe("a refresh answered 503 leaves the token usable (issue 17 item 22)", () => {
  const UNAVAILABLE = {
    detail: "Service temporarily unavailable, try again later.",
    code: "service_unavailable",
  };
  const combinations = [
    { down: ["users"] },
    { down: ["revocations"] },
    { down: ["users", "revocations"] },
  ] as const;
  const modes = [
    { rotateRefreshTokens: true, blacklistAfterRotation: true },
    { rotateRefreshTokens: true, blacklistAfterRotation: false },
    { rotateRefreshTokens: false, checkRevokedAccess: true },
  ];

  for (const { down } of combinations) {
    for (const mode of modes) {
      it(`${down.join(" and ")} down, ${JSON.stringify(mode)}: 503, then the same token refreshes and its family lives`, async () => {
        const memoryUsers = new MemoryUserStore();
        const ada = await memoryUsers.create({ username: "ada", passwordHash: "pbkdf2_sha256$1$salt$hash" });
        const users = faulty<UserStore<unknown>>(memoryUsers, "users");
        const revocations = faulty<RevocationStore>(new MemoryRevocationStore(), "revocations");
        const jwt = new JWTService({
          signingKey: SECRET,
          users: users.store,
          revocations: revocations.store,
          reuseGraceSeconds: 0, // strict: a retry that counted as reuse would revoke the family at once
          ...mode,
        });
        const api = createJWTHandlers(jwt);
        const post = (refresh: string) =>
          api.refresh(
            new Request("https://api.example.com/api/token/refresh/", {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ refresh }),
            }),
          );
        const { refresh } = await jwt.obtainPair(ada);
        for (const store of down) (store === "users" ? users : revocations).down = true;
        const outage = await post(refresh);
        expect(outage.status).toBe(503);
        expect(outage.headers.get("retry-after")).toBe("5");
        expect(await outage.json()).toEqual(UNAVAILABLE);
        users.down = false;
        revocations.down = false;

        const retry = await post(refresh);
        expect(retry.status).toBe(200);
        const body = (await retry.json()) as { access: string; refresh?: string };
        await expect(jwt.validate(body.access, "access")).resolves.toMatchObject({ user_id: ada.id });
        // The family lives: the next token (or, without rotation, the same one) refreshes again.
        expect((await post(body.refresh ?? refresh)).status).toBe(200);
      });
    }
  }

  it("the user store down with a blacklisted or rotated token: the blacklist verdict first, never 503", async () => {
    const memoryUsers = new MemoryUserStore();
    const ada = await memoryUsers.create({ username: "ada", passwordHash: "pbkdf2_sha256$1$salt$hash" });
    const users = faulty<UserStore<unknown>>(memoryUsers, "users");
    const jwt = new JWTService({
      signingKey: SECRET,
      users: users.store,
      revocations: new MemoryRevocationStore(),
      rotateRefreshTokens: true,
    });
    const { refresh } = await jwt.obtainPair(ada);
    await jwt.blacklist(refresh);
    users.down = true;
    await refused(jwt.refresh(refresh), "Token is blacklisted");
    users.down = false;
    await memoryUsers.setPasswordHash(ada.id, "pbkdf2_sha256$1$salt$other");
    await refused(jwt.refresh(refresh), "Token is blacklisted");

    // A rotated token replayed after the grace window while the user store is down: the replay is
    // caught (its family revoked), not answered 503.
    vi.useFakeTimers({ now: Date.now(), toFake: ["Date"] });
    try {
      const pair = await jwt.obtainPair(ada);
      const next = await jwt.refresh(pair.refresh);
      vi.setSystemTime(Date.now() + 60_000);
      users.down = true;
      await refused(jwt.refresh(pair.refresh), "Token is blacklisted");
      users.down = false;
      await refused(jwt.refresh(next.refresh!), "Token is blacklisted"); // the family is revoked
    } finally {
      vi.useRealTimers();
    }
  });

  it("a token refused for its user is not used up (simplejwt checks the user before it blacklists)", async () => {
    const memoryUsers = new MemoryUserStore();
    const ada = await memoryUsers.create({ username: "ada", passwordHash: "pbkdf2_sha256$1$salt$hash" });
    let active = false;
    const users = new Proxy(memoryUsers, {
      get(target, key, receiver) {
        if (key !== "findById") return Reflect.get(target, key, receiver);
        return async (id: string) => {
          const record = await target.findById(id);
          return record && { ...record, isActive: active };
        };
      },
    });
    const jwt = new JWTService({
      signingKey: SECRET,
      users,
      revocations: new MemoryRevocationStore(),
      rotateRefreshTokens: true,
      blacklistAfterRotation: true,
      reuseGraceSeconds: 0,
    });
    const { refresh } = await jwt.obtainPair(ada);
    await expect(jwt.refresh(refresh)).rejects.toMatchObject({ code: "no_active_account" });
    active = true; // reactivated
    const { refresh: child } = await jwt.refresh(refresh);
    await expect(jwt.refresh(child!)).resolves.toHaveProperty("refresh");
    // A rotated token of an inactive user is still reuse first: "Token is blacklisted", family revoked.
    const second = await jwt.obtainPair(ada);
    const { refresh: next } = await jwt.refresh(second.refresh);
    active = false;
    await refused(jwt.refresh(second.refresh), "Token is blacklisted");
    active = true;
    await refused(jwt.refresh(next!), "Token is blacklisted");
  });
});

describe("reuse detection for a refresh token minted without a family (by Django, or before it was on)", () => {
  it("its rotation roots a family under its jti, and its replay revokes that family", async () => {
    const { jwt } = await setup({ rotateRefreshTokens: true });
    const now = Math.floor(Date.now() / 1000);
    const django = forge({
      token_type: "refresh",
      exp: now + 3600,
      iat: now,
      jti: "aa67d517900f4112a6951413f5d84984",
      user_id: 1,
    });
    const first = await jwt.refresh(django);
    expect(claimsOf(first.refresh!)).toMatchObject({ family_id: "aa67d517900f4112a6951413f5d84984" });
    const second = await jwt.refresh(first.refresh!);
    expect(claimsOf(second.refresh!).family_id).toBe("aa67d517900f4112a6951413f5d84984");
    // The Django token comes back: a replay, and the newest token of its line goes with it.
    pastGrace();
    await refused(jwt.refresh(django), "Token is blacklisted");
    await refused(jwt.refresh(second.refresh!), "Token is blacklisted");
  });

  it("without reuse detection (no store), a rotated token carries no family", async () => {
    const users = new MemoryUserStore();
    await users.create({ username: "ada", passwordHash: "pbkdf2_sha256$1$salt$hash" });
    const jwt = new JWTService({ signingKey: SECRET, users, rotateRefreshTokens: true });
    const { refresh } = await jwt.obtainPair({ id: "1" });
    expect(claimsOf((await jwt.refresh(refresh)).refresh!)).not.toHaveProperty("family_id");
  });
});

describe("refresh: the blacklist is checked before the user, with or without rotation", () => {
  for (const rotateRefreshTokens of [false, true]) {
    it(`a blacklisted token whose user changed password or is gone says "Token is blacklisted" (rotation ${rotateRefreshTokens})`, async () => {
      const { jwt, users, ada } = await setup({ rotateRefreshTokens, checkRevokeToken: true });
      const { refresh } = await jwt.obtainPair(ada);
      await jwt.blacklist(refresh);
      await users.setPasswordHash(ada.id, "pbkdf2_sha256$1$salt$other");
      await refused(jwt.refresh(refresh), "Token is blacklisted");
      const { refresh: orphan } = await jwt.obtainPair({ id: "404" });
      await jwt.blacklist(orphan);
      await refused(jwt.refresh(orphan), "Token is blacklisted");
    });
  }
});

describe("checkRevokedAccess: logout reaches access tokens", () => {
  const bearer = (token: string) => makeRequest({ headers: { Authorization: `Bearer ${token}` } });

  it("revokeForUser refuses the user's access tokens, through validate and JWTAuthentication", async () => {
    const { jwt, ada, revocations } = await setup({ checkRevokedAccess: true });
    const scheme = new JWTAuthentication({ jwt });
    const { access } = await jwt.obtainPair(ada);
    const { access: other } = await jwt.obtainPair({ id: "2" });
    expect((await scheme.authenticate(bearer(access)))?.user).toEqual(ada.user);
    expect(await revocations.revokeForUser(ada.id)).toBe(2); // the refresh token and its access token
    await refused(jwt.validate(access, "access"), "Token is blacklisted");
    const error = await scheme.authenticate(bearer(access)).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401, code: "token_not_valid" });
    expect((error as InvalidToken).messages?.[0]?.message).toBe("Token is blacklisted");
    await expect(jwt.validate(other, "access")).resolves.toMatchObject({ user_id: "2" });
  });

  it("blacklisting a refresh token (logout) refuses the access tokens minted from it, and only those", async () => {
    const { jwt, ada } = await setup({ checkRevokedAccess: true });
    const login = await jwt.obtainPair(ada);
    const { access: refreshed } = await jwt.refresh(login.refresh);
    const elsewhere = await jwt.obtainPair(ada); // another device's login
    await jwt.blacklist(login.refresh);
    await refused(jwt.validate(login.access, "access"), "Token is blacklisted");
    await refused(jwt.validate(refreshed, "access"), "Token is blacklisted");
    await refused(jwt.refresh(login.refresh), "Token is blacklisted");
    await expect(jwt.validate(elsewhere.access, "access")).resolves.toMatchObject({ user_id: ada.id });
    await expect(jwt.refresh(elsewhere.refresh)).resolves.toHaveProperty("access");
  });

  it("with rotation, logout and reuse detection revoke every access token of the family", async () => {
    const { jwt, ada } = await setup({ checkRevokedAccess: true, rotateRefreshTokens: true });
    const first = await jwt.obtainPair(ada);
    const second = await jwt.refresh(first.refresh);
    await jwt.blacklist(second.refresh!);
    await refused(jwt.validate(first.access, "access"), "Token is blacklisted");
    await refused(jwt.validate(second.access, "access"), "Token is blacklisted");

    const stolen = await jwt.obtainPair(ada);
    const rotated = await jwt.refresh(stolen.refresh);
    pastGrace();
    await refused(jwt.refresh(stolen.refresh), "Token is blacklisted"); // reuse
    await refused(jwt.validate(rotated.access, "access"), "Token is blacklisted");
    await refused(jwt.validate(stolen.access, "access"), "Token is blacklisted");
  });

  it("records no access token without checkRevokedAccess (simplejwt's outstanding list)", async () => {
    const { jwt, ada, revocations } = await setup();
    const { access } = await jwt.obtainPair(ada);
    await jwt.obtainSliding(ada);
    expect(await revocations.revokeForUser(ada.id)).toBe(2); // the refresh and the sliding token
    await expect(jwt.validate(access, "access")).resolves.toMatchObject({ user_id: ada.id });
  });
});

describe("claim times in whole seconds, compared as PyJWT compares them", () => {
  it("writes integer exp and refresh_exp for fractional lifetimes", async () => {
    vi.useFakeTimers({ now: T0 * 1000 + 250 });
    const jwt = new JWTService({
      signingKey: SECRET,
      accessTokenLifetime: 90.5,
      refreshTokenLifetime: 3600.9,
      slidingTokenLifetime: 60.5,
      slidingTokenRefreshLifetime: 120.7,
    });
    const { access, refresh } = await jwt.obtainPair({ id: "1" });
    expect(claimsOf(access)).toMatchObject({ exp: T0 + 90, iat: T0 });
    expect(claimsOf(refresh)).toMatchObject({ exp: T0 + 3600 });
    const sliding = await jwt.obtainSliding({ id: "1" });
    expect(claimsOf(sliding)).toMatchObject({ exp: T0 + 60, refresh_exp: T0 + 120 });
    expect(claimsOf(await jwt.refreshSliding(sliding))).toMatchObject({ exp: T0 + 60 });
  });

  it("truncates fractional times and takes negative ones as dates before 1970", async () => {
    vi.useFakeTimers({ now: T0 * 1000 + 100 });
    const jwt = new JWTService({ signingKey: SECRET });
    const token = (extra: Record<string, unknown>) =>
      forge({ token_type: "access", exp: T0 + 300, jti: "a".repeat(32), user_id: "1", ...extra });
    await refused(jwt.validate(token({ exp: T0 + 0.9 }), "access"), "Token is expired");
    await refused(jwt.validate(token({ exp: -5 }), "access"), "Token is expired");
    await expect(jwt.validate(token({ exp: T0 + 1.5 }), "access")).resolves.toMatchObject({ exp: T0 + 1.5 });
    await expect(jwt.validate(token({ nbf: T0 + 0.9 }), "access")).resolves.toBeDefined();
    await expect(jwt.validate(token({ iat: T0 + 0.9, nbf: -1 }), "access")).resolves.toBeDefined();
    await refused(jwt.validate(token({ nbf: T0 + 1 }), "access"), "Token is invalid");
    await refused(jwt.validate(token({ exp: 253_402_300_800 }), "access"), "Token is invalid");
  });
});

describe("HMAC keys shorter than the hash are refused in every form", () => {
  it("refuses a short oct JWK and a short HMAC CryptoKey, and takes long enough ones", async () => {
    expect(() => new JWTService({ signingKey: { kty: "oct", k: "c2hvcnQ" } })).toThrow(
      "JWTService: an HS256 key needs at least 32 bytes (got 5).",
    );
    const k = Buffer.alloc(32, 7).toString("base64url");
    expect(() => new JWTService({ signingKey: { kty: "oct", k } })).not.toThrow();
    const short = await crypto.subtle.importKey(
      "raw",
      new Uint8Array(16),
      { name: "HMAC", hash: "SHA-512" },
      false,
      ["sign", "verify"],
    );
    expect(() => new JWTService({ algorithm: "HS512", signingKey: short })).toThrow(
      "JWTService: an HS512 key needs at least 64 bytes (got 16).",
    );
    expect(
      () =>
        new JWTService({
          signingKey: SECRET,
          verifyingKeys: [{ kid: "old", key: { kty: "oct", k: "c2hvcnQ" } }],
        }),
    ).toThrow(/at least 32 bytes \(got 5\)/);
  });
});

describe("keys that must never serve are refused", () => {
  const pem = (bits: number) =>
    generateKeyPairSync("rsa", {
      modulusLength: bits,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
    });

  for (const useNodeCrypto of [true, false]) {
    it(`refuses RSA keys under 2048 bits, signing or verifying (useNodeCrypto ${useNodeCrypto})`, async () => {
      const small = pem(1024);
      const signing = new JWTService({ algorithm: "RS256", signingKey: small.privateKey, useNodeCrypto });
      await expect(signing.obtainPair({ id: "1" })).rejects.toThrow(
        new TypeError("JWTService: an RS256 key needs a modulus of at least 2048 bits (got 1024)."),
      );
      const large = pem(2048);
      const rotated = new JWTService({
        algorithm: "PS256",
        signingKey: large.privateKey,
        verifyingKeys: [{ kid: "old", key: small.publicKey }],
        useNodeCrypto,
      });
      await expect(rotated.obtainPair({ id: "1" })).rejects.toThrow(
        /PS256 key needs a modulus of at least 2048/,
      );
      const fine = new JWTService({ algorithm: "RS256", signingKey: large.privateKey, useNodeCrypto });
      const { access } = await fine.obtainPair({ id: "1" });
      await expect(fine.validate(access, "access")).resolves.toMatchObject({ user_id: "1" });
    });
  }

  it("refuses a PEM (public or private key) as an HMAC secret", () => {
    const { publicKey } = pem(2048);
    expect(() => new JWTService({ signingKey: publicKey })).toThrow(
      new TypeError("JWTService: an HS256 secret cannot be a PEM key (a public or private key)."),
    );
    expect(
      () => new JWTService({ signingKey: SECRET, verifyingKeys: [{ kid: "rsa", key: publicKey }] }),
    ).toThrow(/HS256 secret cannot be a PEM key/);
    // A key file read as bytes, and an OpenSSH public key, as text or bytes.
    const ssh = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIObDPrzNWhHAUvNmyEB8BW3yrzUqJIg5l5ZnFRrdz1KR me@host";
    for (const key of [Buffer.from(publicKey), ssh, new TextEncoder().encode(ssh)]) {
      expect(() => new JWTService({ signingKey: key })).toThrow(/HS256 secret cannot be a PEM key/);
    }
  });

  it("refuses an empty audience list, which no token could satisfy", () => {
    expect(() => new JWTService({ signingKey: SECRET, audience: [] })).toThrow(
      new TypeError("JWTService: `audience` is a string or a non-empty list of strings."),
    );
    expect(() => new JWTService({ signingKey: SECRET, audience: ["api"] })).not.toThrow();
    // From JavaScript, neither a number nor a list with one.
    for (const audience of [7, ["api", 7]]) {
      expect(() => new JWTService({ signingKey: SECRET, audience: audience as never })).toThrow(
        "JWTService: `audience` is a string or a non-empty list of strings.",
      );
    }
  });
});

import { createHash } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { tokenDigest } from "../../src/adapter-kit.js";
import {
  AuthEvents,
  MemoryTokenStore,
  MemoryUserStore,
  PermissionDenied,
  revokeAllTokens,
  revokeToken,
  TokenAuthentication,
  type TokenAuthenticationOptions,
  type TokenStore,
} from "../../src/index.js";

afterEach(() => vi.useRealTimers());

// Issuing does not read the user store; the scheme needs one to exist.
const users = new MemoryUserStore();
const scheme = (tokens: TokenStore, options: Partial<TokenAuthenticationOptions<unknown>> = {}) =>
  new TokenAuthentication({ tokens, users, ...options });
const issueFor = (
  tokens: TokenStore,
  userId: string,
  options: Partial<TokenAuthenticationOptions<unknown>> = {},
) => scheme(tokens, options).issue(userId);

describe("tokenDigest", () => {
  it("is the lowercase hex SHA-256 of the UTF-8 bytes", async () => {
    expect(await tokenDigest("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(await tokenDigest("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    for (const token of ["pct_x", "é😀", "a".repeat(1000)]) {
      expect(await tokenDigest(token)).toBe(createHash("sha256").update(token, "utf8").digest("hex"));
    }
  });

  it("uses node:crypto's one-shot hash where the runtime has it, not a WebCrypto job", async () => {
    const digest = vi.spyOn(crypto.subtle, "digest");
    expect(await tokenDigest("x")).toBe(createHash("sha256").update("x").digest("hex"));
    expect(digest).not.toHaveBeenCalled();
    digest.mockRestore();
  });

  it("answers the same digests through WebCrypto where node:crypto is absent", async () => {
    vi.resetModules();
    vi.doMock("../../src/core/crypto.js", async (original) => ({
      ...(await original<typeof import("../../src/core/crypto.js")>()),
      getNodeCrypto: () => null,
    }));
    const digest = vi.spyOn(crypto.subtle, "digest");
    try {
      const { tokenDigest: webDigest } = await import("../../src/core/digest.js");
      for (const token of ["", "abc", "pct_x", "é😀", "a".repeat(1000)]) {
        expect(await webDigest(token)).toBe(createHash("sha256").update(token, "utf8").digest("hex"));
      }
      expect(digest).toHaveBeenCalledTimes(5);
    } finally {
      digest.mockRestore();
      vi.doUnmock("../../src/core/crypto.js");
      vi.resetModules();
    }
  });
});

describe("TokenAuthentication.issue", () => {
  it("returns the plaintext once and stores only the digest", async () => {
    vi.useFakeTimers({ now: new Date("2026-11-28T12:00:00Z") });
    const tokens = new MemoryTokenStore();
    const { token, record } = await scheme(tokens, { ttl: "30d" }).issue("7", { name: "laptop" });
    expect(token).toMatch(/^pct_[A-Za-z0-9_-]{43}$/);
    expect(record).toEqual({
      digest: await tokenDigest(token),
      userId: "7",
      name: "laptop",
      createdAt: new Date("2026-11-28T12:00:00Z"),
      expiresAt: new Date("2026-12-28T12:00:00Z"),
      lastUsedAt: null,
    });
    expect(await tokens.findByDigest(record.digest)).toEqual(record);
    expect(JSON.stringify(await tokens.listForUser("7"))).not.toContain(token.slice(4));
  });

  it("never expires without a ttl, takes seconds, and a custom prefix", async () => {
    const tokens = new MemoryTokenStore();
    const plain = scheme(tokens);
    expect((await plain.issue("1")).record).toMatchObject({ expiresAt: null, name: null });
    expect((await plain.issue("1", { ttl: null })).record.expiresAt).toBeNull();
    const { token, record } = await plain.issue("1", { ttl: 60, prefix: "acme_" });
    expect(token).toMatch(/^acme_[A-Za-z0-9_-]{43}$/);
    expect(record.expiresAt!.getTime() - record.createdAt.getTime()).toBe(60_000);
    expect((await plain.issue("1", { prefix: "" })).token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("takes the scheme's ttl and prefix unless one token is given its own (knox's TOKEN_TTL, TOKEN_PREFIX)", async () => {
    vi.useFakeTimers({ now: 0 });
    const tokens = new MemoryTokenStore();
    const configured = scheme(tokens, { ttl: "1h", prefix: "acme_" });
    const usual = await configured.issue("1");
    expect(usual.token).toMatch(/^acme_[A-Za-z0-9_-]{43}$/);
    expect(usual.record.expiresAt).toEqual(new Date(3_600_000));
    const own = await configured.issue("1", { ttl: 60, prefix: "dev_" });
    expect(own.token).toMatch(/^dev_[A-Za-z0-9_-]{43}$/);
    expect(own.record.expiresAt).toEqual(new Date(60_000));
    expect((await configured.issue("1", { ttl: null })).record.expiresAt).toBeNull();
    expect((await configured.issue("1", { prefix: "" })).token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("makes distinct tokens", async () => {
    const tokens = new MemoryTokenStore();
    const seen = new Set<string>();
    const auth = scheme(tokens);
    for (let i = 0; i < 200; i++) seen.add((await auth.issue("1")).token);
    expect(seen.size).toBe(200);
  });

  it.each([
    [{ prefix: "pct " }, "prefix must be up to 16 characters of [A-Za-z0-9_-]."],
    [{ prefix: "a".repeat(17) }, "prefix must be up to 16 characters of [A-Za-z0-9_-]."],
    [{ ttl: "forever" }, /ttl/],
  ])("refuses bad options of one token %j", async (options, message) => {
    const tokens = new MemoryTokenStore();
    await expect(scheme(tokens).issue("1", options as never)).rejects.toThrow(message);
    expect(await tokens.listForUser("1")).toEqual([]);
  });

  it.each([
    [{ prefix: "pct " }, "prefix must be up to 16 characters of [A-Za-z0-9_-]."],
    [{ prefix: "a".repeat(17) }, "prefix must be up to 16 characters of [A-Za-z0-9_-]."],
    [{ ttl: "forever" }, /ttl/],
    [{ maxTokensPerUser: 0 }, "maxTokensPerUser must be a positive integer or null."],
    [{ maxTokensPerUser: 1.5 }, "maxTokensPerUser must be a positive integer or null."],
  ])("refuses bad scheme settings %j at construction", (options, message) => {
    expect(() => scheme(new MemoryTokenStore(), options as never)).toThrow(RangeError);
    expect(() => scheme(new MemoryTokenStore(), options as never)).toThrow(message);
  });

  it("refuses past maxTokensPerUser, counting only unexpired tokens", async () => {
    vi.useFakeTimers({ now: 0 });
    const tokens = new MemoryTokenStore();
    await issueFor(tokens, "1", { ttl: 10 });
    await issueFor(tokens, "1");
    await issueFor(tokens, "2");
    const limited = scheme(tokens, { maxTokensPerUser: 2 });
    const error = await limited.issue("1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermissionDenied);
    expect(error).toMatchObject({
      status: 403,
      code: "token_limit_exceeded",
      detail: "Maximum amount of tokens allowed per user exceeded.",
    });
    vi.setSystemTime(11_000);
    await expect(limited.issue("1")).resolves.toBeDefined();
  });

  it("holds maxTokensPerUser under 20 concurrent issues, through the store's atomic saveWithinLimit", async () => {
    const tokens = new MemoryTokenStore();
    const atomic = vi.spyOn(tokens, "saveWithinLimit");
    const counted = vi.spyOn(tokens, "listForUser");
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => issueFor(tokens, "1", { maxTokensPerUser: 1 })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(19);
    expect(atomic).toHaveBeenCalledTimes(20);
    expect(atomic).toHaveBeenCalledWith(expect.objectContaining({ userId: "1" }), 1);
    expect(counted).not.toHaveBeenCalled();
    expect(await tokens.listForUser("1")).toHaveLength(1);
  });

  it("holds maxTokensPerUser in one process for a store without saveWithinLimit, and other users do not wait", async () => {
    const memory = new MemoryTokenStore();
    const slow = <T>(value: Promise<T>) =>
      value.then((v) => new Promise<T>((r) => setTimeout(() => r(v), 2)));
    // A store of the app's own: a count that takes a while, and no saveWithinLimit.
    let failures = 0;
    const tokens: TokenStore = {
      save: (record) => (failures-- > 0 ? Promise.reject(new Error("disk full")) : slow(memory.save(record))),
      findByDigest: (digest) => memory.findByDigest(digest),
      delete: (digest) => memory.delete(digest),
      deleteForUser: (userId) => memory.deleteForUser(userId),
      listForUser: (userId) => slow(memory.listForUser(userId)),
      touch: (digest, changes) => memory.touch(digest, changes),
    };
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => issueFor(tokens, i < 10 ? "1" : "2", { maxTokensPerUser: 3 })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(6);
    const refusals = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    for (const error of refusals) expect(error).toMatchObject({ status: 403, code: "token_limit_exceeded" });
    expect(await memory.listForUser("1")).toHaveLength(3);
    expect(await memory.listForUser("2")).toHaveLength(3);
    // A failing save does not jam the user's queue.
    failures = 1;
    await expect(issueFor(tokens, "3", { maxTokensPerUser: 1 })).rejects.toThrow("disk full");
    await expect(issueFor(tokens, "3", { maxTokensPerUser: 1 })).resolves.toBeDefined();
  });

  it("emits tokenIssued", async () => {
    const events = new AuthEvents();
    const issued = vi.fn();
    events.on("tokenIssued", issued);
    const { record } = await issueFor(new MemoryTokenStore(), "1", { events });
    expect(issued).toHaveBeenCalledWith({ record });
  });
});

describe("revoking", () => {
  it("revokes one token by its plaintext, with an event", async () => {
    const tokens = new MemoryTokenStore();
    const events = new AuthEvents();
    const revoked = vi.fn();
    events.on("tokenRevoked", revoked);
    const a = await issueFor(tokens, "1");
    const b = await issueFor(tokens, "1");
    expect(await revokeToken(tokens, a.token, { events })).toBe(true);
    expect(await revokeToken(tokens, a.token, { events })).toBe(false);
    expect(revoked).toHaveBeenCalledOnce();
    expect(revoked).toHaveBeenCalledWith({ record: a.record });
    expect(await tokens.findByDigest(a.record.digest)).toBeNull();
    expect(await tokens.findByDigest(b.record.digest)).not.toBeNull();
  });

  it("revokes every token of one user", async () => {
    const tokens = new MemoryTokenStore();
    const events = new AuthEvents();
    const revoked = vi.fn();
    events.on("tokenRevoked", revoked);
    await issueFor(tokens, "1");
    await issueFor(tokens, "1");
    const other = await issueFor(tokens, "2");
    expect(await revokeAllTokens(tokens, "1", { events })).toBe(2);
    expect(revoked).toHaveBeenCalledTimes(2);
    expect(await tokens.listForUser("1")).toEqual([]);
    expect(await tokens.listForUser("2")).toEqual([other.record]);
    expect(await revokeAllTokens(tokens, "1")).toBe(0);
  });
});

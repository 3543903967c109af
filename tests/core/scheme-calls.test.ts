import { describe, expect, it, vi } from "vitest";
import {
  AuthenticationFailed,
  authenticate,
  BasicAuthentication,
  MemoryTokenStore,
  MemoryUserStore,
  SchemeError,
  TokenAuthentication,
  type TokenRecord,
  type UserRecord,
} from "../../src/index.js";
import { basicAuthHeader, makeRequest } from "../../src/testing/index.js";

/** The fields a success carries beside the user: its id and Django's staff flags, none of the record. */
const flags = (userId: string | null) => ({ userId, isStaff: false, isSuperuser: false });

// The runner calls each scheme's `authenticate` as it is on the object, once, and awaits it; the built-in
// schemes call their stores' methods the same way. Overrides and spies are what runs.
describe("what the runner and the built-in schemes call", () => {
  it("calls each scheme's authenticate once, on the scheme, with the request, in order", async () => {
    const calls: string[] = [];
    const scheme = (name: string, answer: unknown) => ({
      name,
      authenticate(this: unknown, request: unknown) {
        calls.push(`${name}:${this === schemes[calls.length] ? "self" : "other"}`);
        expect(request).toBe(req);
        return answer;
      },
    });
    const schemes = [scheme("first", Promise.resolve(null)), scheme("second", { user: { id: 2 } })];
    const req = makeRequest({});
    const result = await authenticate(req, schemes as never);
    expect(result).toEqual({
      outcome: "success",
      user: { id: 2 },
      auth: null,
      scheme: "second",
      ...flags("2"),
    });
    expect(calls).toEqual(["first:self", "second:self"]);
  });

  it("awaits a scheme that answers with a plain value, a promise or any thenable alike", async () => {
    // biome-ignore lint/suspicious/noThenProperty: a scheme may answer with any thenable; the runner awaits it
    const thenable = { then: (resolve: (value: unknown) => void) => resolve({ user: "t", auth: 1 }) };
    for (const answer of [{ user: "t", auth: 1 }, Promise.resolve({ user: "t", auth: 1 }), thenable]) {
      const result = await authenticate(makeRequest({}), [
        { name: "s", authenticate: () => answer as never },
      ]);
      expect(result).toEqual({ outcome: "success", user: "t", auth: 1, scheme: "s", ...flags(null) });
    }
  });

  it("calls a spy that replaced a built-in scheme's authenticate, once", async () => {
    const basic = new BasicAuthentication({ verify: (u) => ({ id: u }) });
    const spy = vi.spyOn(basic, "authenticate");
    const request = makeRequest({ headers: { Authorization: basicAuthHeader("ada", "pw") } });
    expect(await authenticate(request, [basic])).toMatchObject({ outcome: "success", user: { id: "ada" } });
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy).toHaveBeenCalledWith(request);
  });

  it("TokenAuthentication calls the token store's delete and touch as they are on the object", async () => {
    vi.useFakeTimers();
    try {
      vi.setSystemTime(new Date("2030-01-01T00:00:00Z"));
      const users = new MemoryUserStore();
      const tokens = new MemoryTokenStore();
      const owner = await users.create({ username: "ada", passwordHash: null });
      const scheme = new TokenAuthentication({ tokens, users, ttl: 600 });
      const touch = vi.spyOn(tokens, "touch");
      const remove = vi.spyOn(tokens, "delete");
      const { token, record } = await scheme.issue(owner.id);
      const request = makeRequest({ headers: { Authorization: `Token ${token}` } });
      expect(await authenticate(request, [scheme])).toMatchObject({ outcome: "success" });
      expect(touch).toHaveBeenCalledWith(record.digest, { lastUsedAt: new Date("2030-01-01T00:00:00Z") });
      vi.setSystemTime(new Date("2030-01-01T00:11:00Z"));
      const expired = await authenticate(request, [scheme]);
      expect(expired.outcome === "fail" && expired.error.detail).toBe("Invalid token.");
      expect(remove).toHaveBeenCalledWith(record.digest);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("the runner with the built-in schemes", () => {
  it("answers Basic with a synchronous verify as a promise, success and failure alike", async () => {
    const basic = new BasicAuthentication({
      verify: (u, p) => (u === "ada" && p === "pw" ? { id: 1 } : null),
    });
    const good = authenticate(makeRequest({ headers: { Authorization: basicAuthHeader("ada", "pw") } }), [
      basic,
    ]);
    expect(good).toBeInstanceOf(Promise);
    expect(await good).toEqual({
      outcome: "success",
      user: { id: 1 },
      auth: null,
      scheme: "basic",
      ...flags("1"),
    });
    const bad = await authenticate(
      makeRequest({ headers: { Authorization: basicAuthHeader("ada", "nope") } }),
      [basic],
    );
    expect(bad).toMatchObject({ outcome: "fail", status: 401, wwwAuthenticate: 'Basic realm="api"' });
    expect(bad.outcome === "fail" && bad.error.detail).toBe("Invalid username/password.");
  });

  it("turns a verify that throws synchronously into a SchemeError rejection, never anonymous", async () => {
    const basic = new BasicAuthentication({
      verify: () => {
        throw new RangeError("directory down");
      },
    });
    const request = makeRequest({ headers: { Authorization: basicAuthHeader("ada", "pw") } });
    const error = await authenticate(request, [basic]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SchemeError);
    expect((error as SchemeError).cause).toBeInstanceOf(RangeError);
    await expect(basic.authenticate(request)).rejects.toBeInstanceOf(RangeError);
  });

  it("calls a subclass's own authenticate", async () => {
    class Audited extends BasicAuthentication<{ id: number }> {
      seen = 0;
      override authenticate(request: Parameters<BasicAuthentication["authenticate"]>[0]) {
        this.seen++;
        return super.authenticate(request);
      }
    }
    const scheme = new Audited({ verify: () => ({ id: 7 }) });
    const result = await authenticate(
      makeRequest({ headers: { Authorization: basicAuthHeader("ada", "pw") } }),
      [scheme],
    );
    expect(result).toMatchObject({ outcome: "success", user: { id: 7 } });
    expect(scheme.seen).toBe(1);
  });

  it("goes through the token store's and user store's overrides and spies when they have them", async () => {
    class CountingTokens extends MemoryTokenStore {
      finds = 0;
      override async findByDigest(digest: string): Promise<TokenRecord | null> {
        this.finds++;
        return super.findByDigest(digest);
      }
    }
    const users = new MemoryUserStore();
    const tokens = new CountingTokens();
    const owner = await users.create({ username: "ada", passwordHash: null });
    const scheme = new TokenAuthentication({ tokens, users });
    const { token } = await scheme.issue(owner.id);
    const findById = vi.spyOn(users, "findById");
    const result = await authenticate(makeRequest({ headers: { Authorization: `Token ${token}` } }), [
      scheme,
    ]);
    expect(result).toMatchObject({ outcome: "success", user: { id: owner.id, username: "ada" } });
    expect(tokens.finds).toBe(1);
    expect(findById).toHaveBeenCalledWith(owner.id);
  });

  it("answers the same from asynchronous stores as from the memory stores", async () => {
    const users = new MemoryUserStore();
    const tokens = new MemoryTokenStore();
    const owner = await users.create({ username: "ada", passwordHash: null });
    const { token } = await new TokenAuthentication({ tokens, users }).issue(owner.id);
    const slowTokens = {
      ...Object.fromEntries(
        (["save", "delete", "deleteForUser", "listForUser", "touch"] as const).map((key) => [
          key,
          (...args: never[]) => (tokens[key] as (...a: never[]) => Promise<unknown>)(...args),
        ]),
      ),
      findByDigest: async (digest: string) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return tokens.findByDigest(digest);
      },
    } as unknown as MemoryTokenStore;
    const slowUsers = {
      findByUsername: (name: string) => users.findByUsername(name),
      setPasswordHash: (id: string, hash: string) => users.setPasswordHash(id, hash),
      findById: async (id: string): Promise<UserRecord<unknown> | null> => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return users.findById(id);
      },
    };
    const request = makeRequest({ headers: { Authorization: `Token ${token}` } });
    const fast = await authenticate(request, [new TokenAuthentication({ tokens, users })]);
    const slow = await authenticate(request, [
      new TokenAuthentication({ tokens: slowTokens, users: slowUsers }),
    ]);
    expect(slow).toEqual(fast);
    const unknown = makeRequest({ headers: { Authorization: "Token pct_unknown" } });
    const refused = await authenticate(unknown, [
      new TokenAuthentication({ tokens: slowTokens, users: slowUsers }),
    ]);
    expect(refused.outcome === "fail" && refused.error).toEqual(new AuthenticationFailed("Invalid token."));
  });
});

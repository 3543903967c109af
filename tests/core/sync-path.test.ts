import { describe, expect, it, vi } from "vitest";
import { andThen, callSync, defineSyncTwin, isPromiseLike } from "../../src/core/sync-path.js";
import {
  AuthenticationFailed,
  authenticate,
  BasicAuthentication,
  issueToken,
  MemoryTokenStore,
  MemoryUserStore,
  SchemeError,
  TokenAuthentication,
  type TokenRecord,
  type UserRecord,
} from "../../src/index.js";
import { basicAuthHeader, makeRequest } from "../../src/testing/index.js";

class Counter {
  value = 0;
  async next(step: number): Promise<number> {
    this.value += step;
    return this.value;
  }
}
defineSyncTwin(Counter.prototype.next, function (this: Counter, step) {
  this.value += step;
  return this.value;
});

describe("synchronous twins", () => {
  it("calls the twin of the very method it was registered on, and answers at once", () => {
    const counter = new Counter();
    expect(callSync(counter, counter.next, 2)).toBe(2);
    expect(counter.value).toBe(2);
  });

  it("calls an override in a subclass as written, never the parent's twin", async () => {
    class Doubling extends Counter {
      override async next(step: number): Promise<number> {
        return super.next(step * 2);
      }
    }
    const counter = new Doubling();
    const answer = callSync(counter, counter.next, 2);
    expect(isPromiseLike(answer)).toBe(true);
    expect(await answer).toBe(4);
  });

  it("calls a spy that replaced the method, even one that copied the method's properties", async () => {
    const counter = new Counter();
    const spy = vi.spyOn(counter, "next");
    Object.defineProperties(counter.next, Object.getOwnPropertyDescriptors(Counter.prototype.next));
    expect(await callSync(counter, counter.next, 1)).toBe(1);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("andThen runs the next step now for a value and later for a promise", async () => {
    expect(andThen(2, (n) => n + 1)).toBe(3);
    const later = andThen(Promise.resolve(2), (n) => n + 1);
    expect(isPromiseLike(later)).toBe(true);
    expect(await later).toBe(3);
  });
});

describe("the runner with built-in schemes on the synchronous path", () => {
  it("answers Basic with a synchronous verify as a promise, success and failure alike", async () => {
    const basic = new BasicAuthentication({
      verify: (u, p) => (u === "ada" && p === "pw" ? { id: 1 } : null),
    });
    const good = authenticate(makeRequest({ headers: { Authorization: basicAuthHeader("ada", "pw") } }), [
      basic,
    ]);
    expect(good).toBeInstanceOf(Promise);
    expect(await good).toEqual({ outcome: "success", user: { id: 1 }, auth: null, scheme: "basic" });
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

  it("calls a subclass's own authenticate, not the built-in fast path", async () => {
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
    const { token } = await issueToken(tokens, owner.id);
    const findById = vi.spyOn(users, "findById");
    const result = await authenticate(makeRequest({ headers: { Authorization: `Token ${token}` } }), [
      new TokenAuthentication({ tokens, users }),
    ]);
    expect(result).toMatchObject({ outcome: "success", user: { id: owner.id, username: "ada" } });
    expect(tokens.finds).toBe(1);
    expect(findById).toHaveBeenCalledWith(owner.id);
  });

  it("answers the same from asynchronous stores as from the memory stores", async () => {
    const users = new MemoryUserStore();
    const tokens = new MemoryTokenStore();
    const owner = await users.create({ username: "ada", passwordHash: null });
    const { token } = await issueToken(tokens, owner.id);
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

import { describe, expectTypeOf, it } from "vitest";
import {
  type AuthResult,
  authenticate,
  type BaseAuthentication,
  BasicAuthentication,
  MemorySessionStore,
  MemoryUserStore,
  SessionAuthentication,
  SessionManager,
  type SessionRecord,
  type UserRecord,
} from "../src/index.js";
import { makeRequest } from "../src/testing/index.js";

interface AppUser {
  id: string;
  email: string;
}

describe("public generics", () => {
  it("carries the user type from the store through the scheme to the result", async () => {
    const users = new MemoryUserStore<AppUser>();
    const basic = new BasicAuthentication({ users });
    expectTypeOf(basic).toEqualTypeOf<BasicAuthentication<AppUser>>();
    const result = await authenticate(makeRequest(), [basic]);
    expectTypeOf(result).toEqualTypeOf<AuthResult<AppUser>>();
    if (result.outcome === "success") {
      expectTypeOf(result.user).toEqualTypeOf<AppUser>();
      expectTypeOf(result.scheme).toBeString();
    } else {
      expectTypeOf(result.status).toEqualTypeOf<401 | 403 | 429>();
    }
  });

  it("defaults MemoryUserStore's user to { id, username }", async () => {
    const record = await new MemoryUserStore().create({ username: "ada", passwordHash: null });
    expectTypeOf(record).toEqualTypeOf<UserRecord<{ id: string; username: string }>>();
  });

  it("types verify's user", () => {
    const basic = new BasicAuthentication({
      verify: async () => ({ id: "1", email: "a@b" }) as AppUser | null,
    });
    expectTypeOf(basic).toMatchTypeOf<BaseAuthentication<AppUser, null>>();
  });

  it("refuses schemes of another user type", () => {
    const other = new BasicAuthentication<{ other: true }>({ verify: async () => null });
    const mine = new BasicAuthentication<AppUser>({ verify: async () => null });
    // @ts-expect-error: the schemes must agree on the user type given explicitly
    void authenticate<AppUser>(makeRequest(), [mine, other]);
  });
  it("types the session scheme's user and auth from the manager", async () => {
    const users = new MemoryUserStore<AppUser>();
    const sessions = new SessionManager({ store: new MemorySessionStore(), users });
    const session = new SessionAuthentication({ sessions });
    expectTypeOf(session).toEqualTypeOf<SessionAuthentication<AppUser>>();
    const result = await authenticate(makeRequest(), [session]);
    if (result.outcome === "success") expectTypeOf(result.user).toEqualTypeOf<AppUser>();
    const direct = await session.authenticate(makeRequest());
    if (direct) expectTypeOf(direct.auth).toEqualTypeOf<SessionRecord>();
  });
});

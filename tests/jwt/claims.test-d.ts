// Issue #17 item 2: the claims hook types the schemes' `auth` (and `validate`) without a cast; issue #18:
// the service's `users` types JWTAuthentication's `user`.
import { describe, expectTypeOf, it } from "vitest";
import {
  type Authenticated,
  createJWTHandlers,
  JWTAuthentication,
  type JWTClaims,
  type JWTHandlers,
  JWTService,
  JWTStatelessUserAuthentication,
  MemoryUserStore,
  type NoCustomClaims,
  type TokenClaims,
  type TokenUser,
  type UserStore,
} from "../../src/index.js";
import { makeRequest } from "../../src/testing/index.js";

const signingKey = "a-test-secret-that-is-at-least-32-bytes-long";

interface AppUser {
  id: string;
  role: "admin" | "user";
}

interface AppClaims {
  role: "admin" | "user";
  tenant: string;
}

describe("typed custom claims", () => {
  it("infers the claims from the hook, through the service to the scheme's auth", async () => {
    const users = new MemoryUserStore<AppUser>();
    const jwt = new JWTService({
      signingKey,
      users,
      claims: () => ({ role: "admin" as const, tenant: "acme" }),
    });
    expectTypeOf(jwt).toEqualTypeOf<JWTService<{ role: "admin"; tenant: string }, AppUser>>();
    expectTypeOf(jwt.users).toEqualTypeOf<UserStore<AppUser> | null>();
    const scheme = new JWTAuthentication({ jwt });
    expectTypeOf(scheme).toEqualTypeOf<JWTAuthentication<AppUser, { role: "admin"; tenant: string }>>();
    const result = await scheme.authenticate(makeRequest());
    if (result !== null) {
      expectTypeOf(result.user).toEqualTypeOf<AppUser>();
      expectTypeOf(result.auth.role).toEqualTypeOf<"admin">();
      expectTypeOf(result.auth.tenant).toEqualTypeOf<string>();
      expectTypeOf(result.auth.exp).toEqualTypeOf<unknown>();
    }
    expectTypeOf((await jwt.validate("t", "access")).tenant).toEqualTypeOf<string>();
  });

  it("takes an interface, an async hook, and the stateless scheme", async () => {
    const jwt = new JWTService<AppClaims>({
      signingKey,
      claims: async (user) => ({ role: user.username === "root" ? "admin" : "user", tenant: "acme" }),
    });
    const stateless = new JWTStatelessUserAuthentication({ jwt });
    const result = await stateless.authenticate(makeRequest());
    expectTypeOf(result).toEqualTypeOf<Authenticated<TokenUser, TokenClaims<AppClaims>> | null>();
    if (result !== null) expectTypeOf(result.auth.role).toEqualTypeOf<"admin" | "user">();
    // @ts-expect-error: the hook must give the declared claims
    new JWTService<AppClaims>({ signingKey, claims: () => ({ role: "owner", tenant: "acme" }) });
  });

  it("without a hook, auth stays JWTClaims", async () => {
    expectTypeOf(new JWTService({ signingKey })).toEqualTypeOf<JWTService>();
    const jwt = new JWTService({ signingKey, users: new MemoryUserStore<AppUser>() });
    expectTypeOf(jwt).toEqualTypeOf<JWTService<NoCustomClaims, AppUser>>();
    const result = await new JWTAuthentication({ jwt }).authenticate(makeRequest());
    if (result !== null) expectTypeOf(result.auth).toEqualTypeOf<JWTClaims>();
  });

  it("takes the user type from the service's users, given once", async () => {
    const users = new MemoryUserStore<AppUser>();
    const jwt = new JWTService({ signingKey, users });
    const scheme = new JWTAuthentication({ jwt });
    expectTypeOf(scheme).toEqualTypeOf<JWTAuthentication<AppUser>>();
    const result = await scheme.authenticate(makeRequest());
    if (result !== null) expectTypeOf(result.user).toEqualTypeOf<AppUser>();
    // The scheme and the views have no `users` of their own.
    // @ts-expect-error: `users` belongs to the service
    new JWTAuthentication({ jwt, users });
    // @ts-expect-error: `users` belongs to the service
    createJWTHandlers(jwt, { users });
    expectTypeOf(createJWTHandlers(jwt)).toEqualTypeOf<JWTHandlers>();
    // A service with users of one type serves the stateless scheme too, which reads none.
    const stateless = new JWTStatelessUserAuthentication({ jwt });
    expectTypeOf(stateless).toEqualTypeOf<JWTStatelessUserAuthentication>();
  });
});

// Issue #17 item 2: the claims hook types the schemes' `auth` (and `validate`) without a cast.
import { describe, expectTypeOf, it } from "vitest";
import {
  type Authenticated,
  JWTAuthentication,
  type JWTClaims,
  JWTService,
  JWTStatelessUserAuthentication,
  MemoryUserStore,
  type TokenClaims,
  type TokenUser,
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
    const jwt = new JWTService({ signingKey, claims: () => ({ role: "admin" as const, tenant: "acme" }) });
    expectTypeOf(jwt).toEqualTypeOf<JWTService<{ role: "admin"; tenant: string }>>();
    const scheme = new JWTAuthentication({ jwt, users });
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
    const jwt = new JWTService({ signingKey });
    expectTypeOf(jwt).toEqualTypeOf<JWTService>();
    const result = await new JWTAuthentication({ jwt, users: new MemoryUserStore<AppUser>() }).authenticate(
      makeRequest(),
    );
    if (result !== null) expectTypeOf(result.auth).toEqualTypeOf<JWTClaims>();
  });
});

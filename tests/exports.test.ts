/**
 * The public surface, pinned: what `portcullis`, `portcullis/adapter-kit` and `portcullis/sessions`
 * export, values (as a program imports them) and types (as the compiler sees them). A name added to or
 * dropped from an entry point fails here, so the root grows only on purpose.
 */
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT_VALUES = [
  "AuthError",
  "AuthEvents",
  "AuthenticationFailed",
  "BasicAuthentication",
  "CsrfPolicy",
  "InvalidToken",
  "JWTAuthentication",
  "JWTService",
  "JWTStatelessUserAuthentication",
  "MemoryRevocationStore",
  "MemorySessionStore",
  "MemoryTokenStore",
  "MemoryUserStore",
  "NotAuthenticated",
  "PermissionDenied",
  "SchemeError",
  "SessionAuthentication",
  "SessionManager",
  "StoreUnavailable",
  "Throttled",
  "TokenAuthentication",
  "TokenUser",
  "authenticate",
  "createJWTHandlers",
  "createUser",
  "hashPassword",
  "isPasswordUsable",
  "makeUnusablePassword",
  "obtainAuthToken",
  "revokeAllTokens",
  "revokeToken",
  "sessionHandlers",
  "toResponse",
  "tokenLogin",
  "tokenLogout",
  "tokenLogoutAll",
  "verifyPassword",
];

const ROOT_TYPES = [
  "Argon2Options",
  "AuthEventMap",
  "AuthRequest",
  "AuthResult",
  "AuthTokenType",
  "Authenticated",
  "BaseAuthentication",
  "BasicAuthenticationOptions",
  "CreateUserFields",
  "CreateUserOptions",
  "CsrfOptions",
  "DefaultUser",
  "EndpointHandler",
  "IssueTokenOptions",
  "IssuedToken",
  "JWTAlgorithm",
  "JWTAuthenticationOptions",
  "JWTClaims",
  "JWTHandlers",
  "JWTHandlersOptions",
  "JWTKey",
  "JWTSettings",
  "JWTStatelessUserAuthenticationOptions",
  "JWTUser",
  "JWTVerifyingKey",
  "NoCustomClaims",
  "ObtainAuthTokenOptions",
  "PasswordAlgorithm",
  "PasswordLimits",
  "PasswordOptions",
  "PasswordWarning",
  "PublicJWKSet",
  "RefreshedTokens",
  "RevocationStore",
  "ScryptOptions",
  "SessionAuthenticationOptions",
  "SessionHandlers",
  "SessionHandlersOptions",
  "SessionManagerOptions",
  "SessionRecord",
  "SessionStore",
  "ToResponseOptions",
  "TokenAuthenticationOptions",
  "TokenClaims",
  "TokenLoginOptions",
  "TokenLogoutOptions",
  "TokenPair",
  "TokenRecord",
  "TokenStore",
  "TokenType",
  "UserRecord",
  "UserStore",
  "VerifyPasswordResult",
];

const ADAPTER_KIT_VALUES = [
  "DEFAULT_TOKEN_PREFIX",
  "DEFAULT_PASSWORD_LIMITS",
  "DEFAULT_PASSWORD_OPTIONS",
  "FAMILY_CLAIM",
  "MAX_AUTHORIZATION_LENGTH",
  "authErrorParts",
  "errorParts",
  "errorResponseParts",
  "guard",
  "isStoreUnavailable",
  "parseDuration",
  "readAuthorization",
  "routeChallenge",
  "serverError",
  "tokenDigest",
  "withDefaults",
];

const ADAPTER_KIT_TYPES = [
  "AuthEventListener",
  "BasicUsersOptions",
  "BasicVerifyOptions",
  "CreateUserInput",
  "OutstandingToken",
  "TokenTouch",
  "AuthErrorOptions",
  "AuthFailure",
  "AuthNone",
  "AuthOptions",
  "AuthSuccess",
  "AuthorizationCredentials",
  "Duration",
  "ErrorResponseParts",
  "GuardDeny",
  "GuardOutcome",
  "GuardPass",
  "HashPasswordOptions",
  "ResolvedJWTSettings",
  "ResolvedPasswordLimits",
  "ResolvedPasswordOptions",
  "ServerErrorParts",
  "TokenErrorMessage",
];

const SESSIONS_VALUES = [
  "CSRF_REASONS",
  "CSRF_SECRET_LENGTH",
  "CSRF_TOKEN_LENGTH",
  "CsrfPolicy",
  "MAX_COOKIE_HEADER_LENGTH",
  "SESSION_AUTH_HASH_KEY",
  "SessionManager",
  "maskCsrfSecret",
  "newCsrfSecret",
  "readCookie",
  "readCookieValues",
  "serializeCookie",
  "sessionCsrfSecret",
  "unmaskCsrfToken",
];

const SESSIONS_TYPES = [
  "ActiveSession",
  "CookieAttributes",
  "CookieRead",
  "CsrfCheckInput",
  "CsrfOptions",
  "CsrfTokenGrant",
  "SessionLogin",
  "SessionLogout",
  "SessionManagerOptions",
];

const PERMISSIONS_VALUES = [
  "AllowAny",
  "and",
  "checkObjectPermissions",
  "checkPermissions",
  "IsAdminUser",
  "IsAuthenticated",
  "IsAuthenticatedOrReadOnly",
  "not",
  "or",
];
const PERMISSIONS_TYPES = ["Permission", "PermissionContext"];

const THROTTLING_VALUES = [
  "AnonRateThrottle",
  "checkThrottles",
  "clientIdent",
  "Lockout",
  "MemoryThrottleStore",
  "parseRate",
  "ScopedRateThrottle",
  "SimpleRateThrottle",
  "UserRateThrottle",
];
const THROTTLING_TYPES = [
  "LockoutOptions",
  "RateThrottleOptions",
  "ScopedRateThrottleOptions",
  "Throttle",
  "ThrottleContext",
  "ThrottleDecision",
  "ThrottleRate",
  "ThrottleState",
  "ThrottleStore",
  "UserRateThrottleOptions",
];

const ENTRY_POINTS = {
  portcullis: "../src/index.ts",
  "portcullis/adapter-kit": "../src/adapter-kit.ts",
  "portcullis/sessions": "../src/sessions/index.ts",
  "portcullis/permissions": "../src/permissions.ts",
  "portcullis/throttling": "../src/throttling/index.ts",
} as const;

/** Every name an entry point exports, split into values and type-only names, as the compiler sees them. */
function compiledExports(): Record<keyof typeof ENTRY_POINTS, { values: string[]; types: string[] }> {
  const files = Object.values(ENTRY_POINTS).map((path) => fileURLToPath(new URL(path, import.meta.url)));
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    types: [],
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const isValue = (symbol: ts.Symbol): boolean =>
    (checker.getAliasedSymbol(symbol).flags & ts.SymbolFlags.Value) !== 0;
  const entries = Object.keys(ENTRY_POINTS).map((name, i) => {
    const module = checker.getSymbolAtLocation(program.getSourceFile(files[i]!)!)!;
    const symbols = checker.getExportsOfModule(module);
    const values = symbols.filter(isValue).map((symbol) => symbol.name);
    const types = symbols.filter((symbol) => !isValue(symbol)).map((symbol) => symbol.name);
    return [name, { values: values.sort(), types: types.sort() }] as const;
  });
  return Object.fromEntries(entries) as ReturnType<typeof compiledExports>;
}

const sorted = (names: readonly string[]): string[] => [...names].sort();

describe("the entry points' exports", () => {
  it("portcullis exports what an application uses, and nothing else at run time", async () => {
    expect(Object.keys(await import("../src/index.js")).sort()).toEqual(sorted(ROOT_VALUES));
  });

  it("portcullis/adapter-kit exports the building blocks for adapters, schemes and stores", async () => {
    expect(Object.keys(await import("../src/adapter-kit.js")).sort()).toEqual(sorted(ADAPTER_KIT_VALUES));
  });

  it("portcullis/sessions exports the sessions module whole", async () => {
    expect(Object.keys(await import("../src/sessions/index.js")).sort()).toEqual(sorted(SESSIONS_VALUES));
  });

  it("portcullis/permissions and portcullis/throttling export DRF's two modules", async () => {
    expect(Object.keys(await import("../src/permissions.js")).sort()).toEqual(sorted(PERMISSIONS_VALUES));
    expect(Object.keys(await import("../src/throttling/index.js")).sort()).toEqual(sorted(THROTTLING_VALUES));
  });

  it("the compiler sees the same values and these types", () => {
    const found = compiledExports();
    expect(found.portcullis).toEqual({ values: sorted(ROOT_VALUES), types: sorted(ROOT_TYPES) });
    expect(found["portcullis/adapter-kit"]).toEqual({
      values: sorted(ADAPTER_KIT_VALUES),
      types: sorted(ADAPTER_KIT_TYPES),
    });
    expect(found["portcullis/sessions"]).toEqual({
      values: sorted(SESSIONS_VALUES),
      types: sorted(SESSIONS_TYPES),
    });
    expect(found["portcullis/permissions"]).toEqual({
      values: sorted(PERMISSIONS_VALUES),
      types: sorted(PERMISSIONS_TYPES),
    });
    expect(found["portcullis/throttling"]).toEqual({
      values: sorted(THROTTLING_VALUES),
      types: sorted(THROTTLING_TYPES),
    });
  }, 60_000);

  it("SessionManager and CsrfPolicy are one class at the root and in portcullis/sessions", async () => {
    const [root, sessions] = await Promise.all([
      import("../src/index.js"),
      import("../src/sessions/index.js"),
    ]);
    expect(sessions.SessionManager).toBe(root.SessionManager);
    expect(sessions.CsrfPolicy).toBe(root.CsrfPolicy);
  });

  it("no entry point exports a name that another one also exports, but for those two classes", () => {
    const all = [...ROOT_VALUES, ...ROOT_TYPES, ...ADAPTER_KIT_VALUES, ...ADAPTER_KIT_TYPES];
    expect(new Set(all).size).toBe(all.length);
    const shared = [...SESSIONS_VALUES, ...SESSIONS_TYPES].filter((name) => all.includes(name)).sort();
    expect(shared).toEqual(["CsrfOptions", "CsrfPolicy", "SessionManager", "SessionManagerOptions"]);
  });
});

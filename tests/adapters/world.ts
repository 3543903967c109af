/**
 * One world for every adapter test: users, stores, the four built-in schemes, three hand-made ones
 * (a PermissionDenied, a bug, a store that cannot answer) and the Fetch endpoint handlers to mount.
 */
import {
  AuthenticationFailed,
  type AuthRequest,
  type BaseAuthentication,
  BasicAuthentication,
  createJWTHandlers,
  type DefaultUser,
  hashPassword,
  JWTAuthentication,
  type JWTHandlers,
  JWTService,
  MemorySessionStore,
  MemoryTokenStore,
  MemoryUserStore,
  NotAuthenticated,
  PermissionDenied,
  SessionAuthentication,
  type SessionHandlers,
  SessionManager,
  StoreUnavailable,
  sessionHandlers,
  TokenAuthentication,
  type TokenRecord,
  type UserRecord,
} from "../../src/index.js";

/** Cheap hashing: the schemes and handlers verify and dummy-hash with the parameters of the seeds. */
export const passwords = { iterations: 1000 };
export const PASSWORD = "correct horse";
const SECRET = "a-test-secret-that-is-at-least-32-bytes-long";

/** A scheme that refuses whoever sends `X-Account: locked`, and has a challenge of its own. */
export class LockedAuthentication implements BaseAuthentication<DefaultUser> {
  readonly name = "locked";
  async authenticate(request: AuthRequest): Promise<null> {
    if (request.headers.get("x-account") === "locked") {
      throw new PermissionDenied("Account locked.", "account_locked");
    }
    return null;
  }
  authenticateHeader(): string {
    return 'Locked realm="api"';
  }
}

/** A scheme with a bug. */
export class BoomAuthentication implements BaseAuthentication<DefaultUser> {
  readonly name = "boom";
  async authenticate(): Promise<null> {
    throw new Error("boom");
  }
}

/** A token store whose backend is down: it cannot say whether a token exists. */
export class DownTokenStore extends MemoryTokenStore {
  override async findByDigest(): Promise<TokenRecord | null> {
    throw new StoreUnavailable("tokens");
  }
}

/** A user store over a database whose table is missing: the driver's error names the table and the host. */
export class MissingTableUserStore extends MemoryUserStore {
  override async findByUsername(): Promise<UserRecord<DefaultUser> | null> {
    throw Object.assign(new Error("no such table: auth_user (db.internal:5432, user portcullis_admin)"), {
      code: "SQLITE_ERROR",
    });
  }
}

/** The driver's message, which must never reach a client. */
export const LEAKED = "no such table";

/**
 * What a route's handler throws after authentication, by path: DRF's exception handler answers each.
 * `/api/raise/denied/` → 403; `/api/raise/not-authenticated/` → 401 with the route's first challenge;
 * `/api/raise/failed-session-first/` → 403 (the first scheme, Session, has no challenge).
 */
export const RAISED = {
  denied: () => new PermissionDenied(),
  "not-authenticated": () => new NotAuthenticated(),
  "failed-session-first": () => new AuthenticationFailed("Nope.", "nope"),
} as const;

/** Fetch endpoint handlers that fail: a bug, a store that cannot answer, an AuthError, each rejecting. */
export const FAILING_ENDPOINTS = {
  "/api/fail/bug/": async (): Promise<Response> => {
    throw Object.assign(new Error("no such table: auth_token (db.internal)"), { code: "SQLITE_ERROR" });
  },
  "/api/fail/down/": async (): Promise<Response> => {
    throw new StoreUnavailable("users", { cause: new Error("connect ECONNREFUSED db.internal:5432") });
  },
  "/api/fail/denied/": async (): Promise<Response> => {
    throw new PermissionDenied("Not yours.", "not_yours");
  },
};

export type World = Awaited<ReturnType<typeof world>>;

/**
 * ada (id "1", active, password {@link PASSWORD}) with a Token key; the schemes; the JWT and session
 * handlers. The session manager is not `secure`: the apps are reached over http.
 */
export async function world() {
  const users = new MemoryUserStore();
  const ada = await users.create({ username: "ada", passwordHash: await hashPassword(PASSWORD, passwords) });
  const tokens = new MemoryTokenStore();
  const tokenAuth = new TokenAuthentication({ tokens, users });
  const { token: key } = await tokenAuth.issue(ada.id);
  const jwt = new JWTService({ signingKey: SECRET, users });
  const sessions = new SessionManager({ store: new MemorySessionStore(), users, secure: false });
  const schemes = {
    basic: new BasicAuthentication({ users, passwords }),
    token: tokenAuth,
    bearer: new JWTAuthentication({ jwt }),
    session: new SessionAuthentication({ sessions }),
    locked: new LockedAuthentication(),
    boom: new BoomAuthentication(),
    down: new TokenAuthentication({ tokens: new DownTokenStore(), users }),
  };
  const views: { jwt: JWTHandlers; session: SessionHandlers; missingTable: JWTHandlers } = {
    jwt: createJWTHandlers(jwt, { passwords }),
    session: sessionHandlers({ sessions, passwords }),
    missingTable: createJWTHandlers(
      new JWTService({ signingKey: SECRET, users: new MissingTableUserStore() }),
      {
        passwords,
      },
    ),
  };
  return { users, ada, tokens, key, jwt, sessions, schemes, views };
}

/**
 * What every protected route answers: the user, and which kind of proof `auth` is (a TokenRecord, the
 * JWT claims, a SessionRecord, or null for Basic and for an anonymous request).
 */
export function whoAmI(user: unknown, auth: unknown): { user: unknown; auth: string | null } {
  return { user, auth: authKind(auth) };
}

function authKind(auth: unknown): string | null {
  if (auth === null || auth === undefined) return null;
  if (typeof auth !== "object") return `unexpected ${typeof auth}`;
  if ("digest" in auth) return "token";
  if ("idDigest" in auth) return "session";
  if ("token_type" in auth) return `jwt ${String(auth.token_type)}`;
  return "unexpected object";
}

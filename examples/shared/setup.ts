/**
 * What every framework example runs on: the same stores (SQLite through Kysely) and the same schemes,
 * endpoint handlers and seeded user `demo`. Each example only mounts them its framework's way.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kysely, type SqliteDatabase } from "kysely";
import {
  BasicAuthentication,
  createJWTHandlers,
  type DefaultUser,
  type EndpointHandler,
  hashPassword,
  JWTAuthentication,
  type JWTHandlers,
  JWTService,
  obtainAuthToken,
  SessionAuthentication,
  type SessionHandlers,
  SessionManager,
  sessionHandlers,
  TokenAuthentication,
  verifyPassword,
} from "../../src/index.js";
import {
  KyselyRevocationStore,
  KyselySessionStore,
  KyselyThrottleStore,
  KyselyTokenStore,
  KyselyUserStore,
  migrateToLatest,
  PreparedSqliteDialect,
} from "../../src/stores/kysely/index.js";
import type { DemoStores } from "../demo/app.js";

/** The stores, as the demo takes them, and the database under them. */
export interface ExampleStores extends DemoStores {
  /** The SQLite file, or `:memory:`. */
  file: string;
  /** Closes the database; a temporary file made by {@link createStores} is deleted. */
  close(): Promise<void>;
}

export interface StoreOptions {
  /** The SQLite file. Default: a fresh file in the OS temp directory; `:memory:` for tests. */
  file?: string | undefined;
  /** Opens the file for Kysely. Default better-sqlite3 (Node); Deno and Bun pass `openNodeSqlite`. */
  open?: (file: string) => SqliteDatabase | Promise<SqliteDatabase>;
}

/** Opens SQLite through Kysely, creates or upgrades the portcullis tables, and builds the four stores. */
export async function createStores(options: StoreOptions = {}): Promise<ExampleStores> {
  const temporary = options.file ? null : mkdtempSync(join(tmpdir(), "portcullis-example-"));
  const file = options.file ?? join(temporary!, "auth.sqlite3");
  const open = options.open ?? openBetterSqlite3;
  // Kysely's SqliteDialect works too; this one prepares each statement once (docs/stores.md).
  const db = new Kysely({ dialect: new PreparedSqliteDialect({ database: await open(file) }) });
  await migrateToLatest(db);
  return {
    users: new KyselyUserStore({ db }),
    tokens: new KyselyTokenStore({ db }),
    sessions: new KyselySessionStore({ db }),
    revocations: new KyselyRevocationStore({ db }),
    throttles: new KyselyThrottleStore({ db }),
    file,
    async close() {
      await db.destroy();
      if (temporary) rmSync(temporary, { recursive: true, force: true });
    },
  };
}

async function openBetterSqlite3(file: string): Promise<SqliteDatabase> {
  // Loaded only when used: Deno and Bun cannot load its native addon.
  const { default: Database } = await import("better-sqlite3");
  return new Database(file);
}

/** Everything an example mounts. */
export interface AuthKit {
  users: DemoStores["users"];
  /** HS256, rotating refresh tokens and blacklisting the rotated ones. */
  jwt: JWTService;
  sessions: SessionManager<DefaultUser>;
  /** DRF's `DEFAULT_AUTHENTICATION_CLASSES`: Basic first, so an anonymous request gets a Basic challenge. */
  schemes: [
    BasicAuthentication<DefaultUser>,
    TokenAuthentication<DefaultUser>,
    JWTAuthentication<DefaultUser>,
    SessionAuthentication<DefaultUser>,
  ];
  /** The Fetch endpoint handlers. */
  views: { session: SessionHandlers; jwt: JWTHandlers; token: EndpointHandler };
  /** The seeded user's password. */
  password: string;
}

export interface AuthKitOptions {
  /** The password of user `demo`. Default: DEMO_PASSWORD, else "demo". */
  password?: string | undefined;
  /** The HS256 secret. Default: JWT_SECRET, else 32 random bytes per process. */
  jwtSecret?: string | undefined;
}

/** Builds the schemes and handlers over the stores, and seeds user `demo` (or resets its password). */
export async function createAuthKit(stores: DemoStores, options: AuthKitOptions = {}): Promise<AuthKit> {
  const env = globalThis.process?.env ?? {};
  const password = options.password ?? env.DEMO_PASSWORD ?? "demo";
  const { users, tokens, revocations } = stores;
  const demo = await users.findByUsername("demo");
  if (demo === null) await users.create({ username: "demo", passwordHash: await hashPassword(password) });
  else if (!(await verifyPassword(password, demo.passwordHash)).valid) {
    await users.setPasswordHash(demo.id, await hashPassword(password));
  }
  const jwt = new JWTService({
    signingKey: options.jwtSecret ?? env.JWT_SECRET ?? crypto.getRandomValues(new Uint8Array(32)),
    users,
    revocations,
    rotateRefreshTokens: true,
    blacklistAfterRotation: true,
  });
  // Plain http on 127.0.0.1, so the cookies cannot be Secure: keep `secure: true` (the default) behind HTTPS.
  const sessions = new SessionManager({ store: stores.sessions, users, secure: false });
  return {
    users,
    jwt,
    sessions,
    schemes: [
      new BasicAuthentication({ users }),
      new TokenAuthentication({ tokens, users }),
      new JWTAuthentication({ jwt }),
      new SessionAuthentication({ sessions }),
    ],
    views: {
      session: sessionHandlers({ sessions }),
      jwt: createJWTHandlers(jwt),
      token: obtainAuthToken({ users, tokens }),
    },
    password,
  };
}

/**
 * What the docs' code samples take from the text around them (the stores, the schemes, the app a
 * paragraph above built), declared for the type check of tests/docs/samples.test.ts. A sample is a
 * module: a name it declares or imports itself shadows the one here.
 */
import type { RequestHandler } from "express";
import type { Pool } from "pg";
import type * as P from "portcullis";
import type * as Kysely_ from "portcullis/kysely";

declare global {
  /** The application's user, as the docs call it. */
  interface AppUser {
    id: string;
    username: string;
    isStaff?: boolean;
  }
  type User = AppUser;

  // The stores and services a page sets up first.
  const users: P.UserStore<AppUser>;
  const tokens: P.TokenStore;
  const sessions: P.SessionManager<AppUser>;
  const store: P.SessionStore;
  const jwt: P.JWTService<P.NoCustomClaims, AppUser>;
  const passwords: P.PasswordOptions;
  const signingKey: string;
  const db: Kysely_.AnyKysely;
  const pool: Pool;
  const client: import("ioredis").Redis;

  // The schemes, by the names the pages give them.
  const basic: P.BasicAuthentication<AppUser>;
  const token: P.TokenAuthentication<AppUser>;
  const bearer: P.JWTAuthentication<AppUser>;
  const session: P.SessionAuthentication<AppUser>;
  const schemes: P.BaseAuthentication<AppUser>[];
  const views: P.SessionHandlers;
  const endpoints: Record<string, P.EndpointHandler>;

  // What a request handler has in hand.
  const request: Request;
  const user: AppUser;
  const username: string;
  const password: string;
  const pw: string;
  const stored: string;

  // The application around the sample: its framework app (any framework: `app.get`, `app.all`,
  // `app(request)`), its views and its logger.
  // biome-ignore lint/suspicious/noExplicitAny: the app differs from page to page.
  const app: any;
  const me: RequestHandler;
  const feed: RequestHandler;
  const hook: RequestHandler;
  const logger: { error(...data: unknown[]): void; warn(...data: unknown[]): void };
  const log: {
    error(...data: unknown[]): void;
    warn(...data: unknown[]): void;
    info(...data: unknown[]): void;
  };
  function findUserByApiKey(key: string): Promise<AppUser | null>;
  const ldap: { bind(username: string, password: string): Promise<(AppUser & { disabled: boolean }) | null> };
  function createTokenTable(pool: Pool, schema: string): Promise<void>;
  const PgTokenStore: new (pool: Pool, options: { schema: string }) => P.TokenStore;
  const MySessionStore: new () => P.SessionStore;
  const MyRedisRevocationStore: new (options: { client: unknown; prefix: string }) => P.RevocationStore;
  class ApiKeyAuthentication implements P.BaseAuthentication<AppUser, null> {
    authenticate(request: P.AuthRequest): Promise<P.Authenticated<AppUser, null> | null>;
  }

  // A few pages use portcullis's names without repeating the import of the block before.
  const BasicAuthentication: typeof P.BasicAuthentication;
  const JWTAuthentication: typeof P.JWTAuthentication;
  const AuthenticationFailed: typeof P.AuthenticationFailed;
  const SessionManager: typeof P.SessionManager;
  const sessionHandlers: typeof P.sessionHandlers;
  const hashPassword: typeof P.hashPassword;
  const verifyPassword: typeof P.verifyPassword;
  const makeUnusablePassword: typeof P.makeUnusablePassword;
  const isPasswordUsable: typeof P.isPasswordUsable;
  const migrateToLatest: typeof Kysely_.migrateToLatest;
  const KyselyUserStore: typeof Kysely_.KyselyUserStore;
  const KyselyTokenStore: typeof Kysely_.KyselyTokenStore;

  // The runtimes and test runners the samples run under.
  const Deno: { serve(handler: (request: Request) => Response | Promise<Response>): unknown };
  const Bun: {
    serve(options: {
      routes?: Record<string, (request: Request) => Response | Promise<Response>>;
      fetch(request: Request): Response | Promise<Response>;
      error?(error: Error): Response | Promise<Response>;
    }): unknown;
  };
  function it(name: string, test: () => unknown): void;
  function unauthorized(): Response;
}

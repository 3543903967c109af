/**
 * The servers of the HTTP comparison (bench/http.ts, bench/http-server.ts) and their names in the tables.
 */

/** What each server is called in the tables, by kind (the child process's argument). */
export const HTTP_NAMES = {
  "express-portcullis": "Express + portcullis auth(JWTAuthentication), default (no token cache)",
  "express-portcullis-cache": "Express + portcullis auth(JWTAuthentication), verifiedTokenCache 1000",
  "express-passport-readme": "Express + passport-jwt, as its README: secret string, no algorithms",
  "express-passport-fair": 'Express + passport-jwt, KeyObject + algorithms ["HS256"]',
  "express-bare": "Express, no authentication",
  "fastify-portcullis":
    "Fastify + portcullis plugin + preHandler auth(JWTAuthentication), default (no token cache)",
  "fastify-portcullis-cache": "Fastify + portcullis plugin + preHandler auth, verifiedTokenCache 1000",
  "fastify-bare": "Fastify, no authentication",
  // Not in `npm run bench`: for bench/http-profile.ts, the cost of any async preHandler.
  "fastify-noop-prehandler": "Fastify + an async preHandler that sets a fixed user (no authentication)",
  // Not in `npm run bench`: for bench/http-profile.ts, the cost of any middleware that sets req.user.
  "express-noop-middleware":
    "Express + a middleware that sets a fixed req.user and req.auth (no authentication)",
} as const;

/** A contender: one server in its own process. */
export type ServerKind = keyof typeof HTTP_NAMES;

/** Every kind, in table order (bench/run.ts picks the ones it times). */
export const SERVER_KINDS = Object.keys(HTTP_NAMES) as ServerKind[];

/**
 * The user every server without authentication answers with: one of the 900 users (ids "100" to "999")
 * whose answer, `{"id":"500","username":"user499"}`, is as long as most authenticated answers. User "1"'s
 * is 30 characters, under the 32 at which V8's JSON.stringify starts joining parts into a string Node must
 * flatten before writing it: callgrind counted ~2,000 fewer instructions a request (bare Fastify) for that answer, which
 * is not authentication's cost.
 */
export const BARE_USER_ID = "500";

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
  "fastify-jwt": "Fastify + @fastify/jwt request.jwtVerify() in onRequest + the same user lookup",
  "express-portcullis-throttled":
    'Express + portcullis auth(JWTAuthentication) + UserRateThrottle("1000000/hour") on RedisThrottleStore',
  "fastify-portcullis-throttled":
    'Fastify + portcullis auth(JWTAuthentication) + UserRateThrottle("1000000/hour") on RedisThrottleStore',
  "express-portcullis-redis-get":
    "Express + portcullis auth(JWTAuthentication) + one ioredis GET per request (no throttle): the floor",
  "fastify-portcullis-redis-get":
    "Fastify + portcullis auth(JWTAuthentication) + one ioredis GET per request (no throttle): the floor",
  "hono-portcullis": "Hono + portcullis auth(JWTAuthentication), default (no token cache)",
  "hono-jwt": 'Hono + hono/jwt jwt({ secret, alg: "HS256" }) + the same user lookup',
} as const;

/** A contender: one server in its own process. */
export type ServerKind = keyof typeof HTTP_NAMES;

/**
 * The user the server without authentication answers with: one of the users whose answer,
 * `{"id":"500","username":"user499"}`, is as long as most authenticated answers.
 */
export const BARE_USER_ID = "500";

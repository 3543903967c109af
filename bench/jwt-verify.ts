/**
 * JWT verification: portcullis `JWTAuthentication.authenticate(request)` against fast-jwt's verifier
 * and passport-jwt's `JwtStrategy`, on tokens minted by portcullis `jwt.obtainPair` (simplejwt's claims),
 * with the same key material on every side.
 */
import { createVerifier } from "fast-jwt";
import passport from "passport";
import { ExtractJwt, Strategy as JwtStrategy } from "passport-jwt";
import {
  type AuthRequest,
  JWTAuthentication,
  type JWTClaims,
  JWTService,
  MemoryRevocationStore,
  MemoryUserStore,
} from "../src/index.js";
import { makeRequest } from "../src/testing/index.js";
import type { Contender } from "./interleave.js";
import { type BenchAlgorithm, type BenchKey, benchKey, COLD_TOKENS, WARM_CACHE_FILL } from "./jwt-keys.js";

// Long enough that no token expires during a run (simplejwt's default is 5 minutes).
const ACCESS_LIFETIME = "1h";

const users = new MemoryUserStore();
const owner = await users.create({ username: "ada", passwordHash: null });

/** The user lookup every side does: `MemoryUserStore.findById`, active users only. */
async function lookup(id: unknown) {
  const record = typeof id === "string" ? await users.findById(id) : null;
  return record?.isActive ? record.user : null;
}

function service(key: BenchKey, extra: Partial<ConstructorParameters<typeof JWTService>[0]> = {}) {
  return new JWTService({
    algorithm: key.algorithm,
    signingKey: key.signing,
    ...(key.algorithm === "HS256" ? {} : { verifyingKey: key.verifying }),
    accessTokenLifetime: ACCESS_LIFETIME,
    users,
    ...extra,
  });
}

/** `count` access tokens from `jwt.obtainPair(owner)`. */
async function mint(jwt: JWTService, count: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) tokens.push((await jwt.obtainPair(owner)).access);
  if (new Set(tokens).size !== count) throw new Error("minted tokens are not distinct");
  return tokens;
}

/** Cycles through `items`, one per call. */
function cycle<T>(items: readonly T[]): () => T {
  let cursor = 0;
  return () => {
    const item = items[cursor]!;
    cursor = cursor + 1 === items.length ? 0 : cursor + 1;
    return item;
  };
}

function portcullisContender(name: string, jwt: JWTService, tokens: readonly string[]): Contender {
  const scheme = new JWTAuthentication({ jwt });
  // One request object per token, prepared up front.
  const next = cycle<AuthRequest>(
    tokens.map((token) => makeRequest({ headers: { Authorization: `Bearer ${token}` } })),
  );
  return { name, run: () => scheme.authenticate(next()) };
}

type Verifier = (token: string) => Record<string, unknown>;

function fastJwtContender(name: string, verify: Verifier, tokens: readonly string[]): Contender {
  const next = cycle(tokens);
  return { name, run: () => Promise.resolve(verify(next())) };
}

/** What `passport.authenticate()` returns (typed `any` upstream): Connect-style middleware. */
type Middleware = (req: object, res: object, next: (error?: unknown) => void) => void;

function passportContender(
  name: string,
  key: BenchKey,
  secretOrKey: string | BenchKey["verifyingObject"],
  tokens: readonly string[],
): Contender {
  const authenticator = new passport.Passport();
  authenticator.use(
    new JwtStrategy(
      {
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        // jsonwebtoken takes a KeyObject too; the types only list string | Buffer.
        secretOrKey: secretOrKey as string,
        algorithms: [key.algorithm as "HS256"],
      },
      (payload: { user_id?: unknown }, done: (error: unknown, user?: unknown) => void) => {
        lookup(payload.user_id).then(
          (user) => done(null, user ?? false),
          (error: unknown) => done(error),
        );
      },
    ),
  );
  // The headers record of each token prepared up front, as Node hands one to each request; the req
  // object is fresh per call, as in a server, because passport adds its methods to it.
  const next = cycle(tokens.map((token) => ({ host: "api.example.com", authorization: `Bearer ${token}` })));
  const res = {};
  const run = () =>
    new Promise((resolve, reject) => {
      const req = { method: "GET", url: "/me/", headers: next() };
      const middleware: Middleware = authenticator.authenticate(
        "jwt",
        { session: false },
        (error: unknown, user: unknown, info: unknown) =>
          error
            ? reject(error)
            : user
              ? resolve(user)
              : reject(new Error(`passport-jwt refused: ${String(info)}`)),
      );
      middleware(req, res, reject);
    });
  return { name, run };
}

/** The contenders of one cold comparison; `passport` is empty where passport-jwt cannot verify. */
export interface ColdContenders {
  /** `jwt.validate(token)`: the verification alone, as fast-jwt's verifier does it. */
  validate: Contender;
  portcullis: Contender;
  fastJwt: Contender;
  /** passport-jwt with a KeyObject (judged), then with the PEM / secret string (context). */
  passport: Contender[];
}

/**
 * Mints {@link COLD_TOKENS} tokens for `algorithm` and builds the contenders over them. Checks first
 * that every contender accepts a sample of them and answers with the owner or the claims.
 */
export async function coldContenders(algorithm: BenchAlgorithm): Promise<ColdContenders> {
  const key = await benchKey(algorithm);
  const jwt = service(key);
  const tokens = await mint(jwt, COLD_TOKENS);
  const portcullis = portcullisContender(`portcullis JWTAuthentication.authenticate(req)`, jwt, tokens);
  const verify: Verifier = createVerifier({ key: key.verifying, algorithms: [algorithm], cache: false });
  const fastJwt = fastJwtContender("fast-jwt createVerifier cache:false", verify, tokens);
  const passportRows =
    algorithm === "EdDSA"
      ? [] // jsonwebtoken 9 (under passport-jwt 4) has no EdDSA
      : [
          passportContender(
            "passport-jwt via passport.authenticate, KeyObject",
            key,
            key.verifyingObject,
            tokens,
          ),
          passportContender(
            `passport-jwt via passport.authenticate, ${algorithm === "HS256" ? "secret string" : "PEM string"}`,
            key,
            key.verifying,
            tokens,
          ),
        ];
  const nextToken = cycle(tokens);
  const validate: Contender = {
    name: "portcullis jwt.validate(token)",
    run: async () => {
      const claims = await jwt.validate(nextToken());
      if (claims.user_id !== owner.id) throw new Error("portcullis validated a token for another user");
    },
  };
  await checkCold(tokens, portcullis, fastJwt, passportRows);
  await validate.run();
  return { validate, portcullis, fastJwt, passport: passportRows };
}

// Every contender cycles through the same tokens: a few calls each walk the start of the list; the
// run of each contender also rejects on any token it refuses, so a refusal stops the bench.
async function checkCold(
  tokens: readonly string[],
  portcullis: Contender,
  fastJwt: Contender,
  passportRows: readonly Contender[],
): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const result = (await portcullis.run()) as { user: { id: string }; auth: JWTClaims } | null;
    if (result?.user.id !== owner.id || result.auth.jti === undefined) {
      throw new Error("portcullis did not authenticate its own token");
    }
    if (result.auth.token_type !== "access" || result.auth.user_id !== owner.id) {
      throw new Error("portcullis returned unexpected claims");
    }
    const payload = (await fastJwt.run()) as Record<string, unknown>;
    if (payload.user_id !== owner.id || payload.token_type !== "access" || payload.jti !== result.auth.jti) {
      throw new Error("fast-jwt did not return the token's claims");
    }
    for (const row of passportRows) {
      const user = (await row.run()) as { id?: string };
      if (user.id !== owner.id) throw new Error(`${row.name} did not authenticate the token's owner`);
    }
  }
  if (tokens.length !== COLD_TOKENS) throw new Error("wrong token count");
}

/** The contenders of one warm comparison. */
export interface WarmContenders {
  /** portcullis with `verifiedTokenCache: 1000` and no revocation store. */
  cached: Contender;
  /** The same, with a MemoryRevocationStore and `checkRevokedAccess` (every hit asks the store). */
  cachedRevocable: Contender;
  /** fast-jwt `createVerifier({ key, cache: true })`. */
  fastJwt: Contender;
  /** portcullis without the cache, for context. */
  uncached: Contender;
}

/** One token, verified again and again. */
export async function warmContenders(algorithm: BenchAlgorithm): Promise<WarmContenders> {
  const key = await benchKey(algorithm);
  const plain = service(key, { verifiedTokenCache: 1000 });
  const revocations = new MemoryRevocationStore();
  const revocable = service(key, { verifiedTokenCache: 1000, revocations, checkRevokedAccess: true });
  const uncachedService = service(key);
  const [token] = await mint(plain, 1);
  const [revocableToken] = await mint(revocable, 1); // recorded as outstanding in its store
  const verify: Verifier = createVerifier({ key: key.verifying, algorithms: [algorithm], cache: true });
  for (const other of await mint(plain, WARM_CACHE_FILL)) {
    await plain.validate(other, "access");
    await revocable.validate(other, "access");
    verify(other);
  }
  const contenders: WarmContenders = {
    cached: portcullisContender("portcullis authenticate(req), verifiedTokenCache 1000", plain, [token!]),
    cachedRevocable: portcullisContender(
      "portcullis authenticate(req), verifiedTokenCache 1000 + MemoryRevocationStore, checkRevokedAccess",
      revocable,
      [revocableToken!],
    ),
    fastJwt: fastJwtContender("fast-jwt createVerifier cache:true (1000)", verify, [token!]),
    uncached: portcullisContender("portcullis authenticate(req), no cache", uncachedService, [token!]),
  };
  for (const contender of Object.values(contenders)) {
    const result = (await contender.run()) as { user?: { id: string }; user_id?: string };
    if ((result.user?.id ?? result.user_id) !== owner.id) throw new Error(`${contender.name}: wrong answer`);
  }
  await checkCacheHonoursRevocation(revocable, revocations);
  return contenders;
}

// The revocable row is only honest if a cached token is refused once revoked: cache one, revoke it, retry.
async function checkCacheHonoursRevocation(jwt: JWTService, revocations: MemoryRevocationStore) {
  const [token] = await mint(jwt, 1);
  const scheme = new JWTAuthentication({ jwt });
  const request = makeRequest({ headers: { Authorization: `Bearer ${token}` } });
  const first = await scheme.authenticate(request);
  if (first === null) throw new Error("no result");
  await revocations.revoke(first.auth.jti as string, new Date(Date.now() + 3_600_000));
  const refused = await scheme.authenticate(request).then(
    () => false,
    () => true,
  );
  if (!refused) throw new Error("a revoked token was still accepted from the verified-token cache");
}

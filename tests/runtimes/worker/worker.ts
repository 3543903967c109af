/**
 * A Cloudflare Worker for the runtime matrix: Basic, Token and JWT authentication through portcullis,
 * bundled by esbuild and run inside workerd through miniflare by tests/runtimes/workerd.mjs.
 *
 * - `GET /credentials`: a token (TokenAuthentication.issue) and a JWT pair (obtainPair), both made inside workerd;
 * - `GET /basic`, `/token`, `/jwt`: one scheme each; 200 `{ scheme, user, runtime, nodeCrypto }`, or the
 *   scheme's DRF error response;
 * - `GET /pbkdf2-refusals`: how many PBKDF2 derivations the emulated production cap refused.
 */
import { getNodeCrypto } from "../../../src/core/crypto.js";
import {
  authenticate,
  type BaseAuthentication,
  BasicAuthentication,
  type DefaultUser,
  hashPassword,
  JWTAuthentication,
  JWTService,
  MemoryTokenStore,
  MemoryUserStore,
  TokenAuthentication,
  type TokenPair,
  toResponse,
} from "../../../src/index.js";
import { workerKind } from "../../../src/passwords/worker-pool.js";

/** New hashes stay far below the 100,000-iteration PBKDF2 cap of deployed Workers (below). */
const passwords = { iterations: 1_000 };

/**
 * Deployed Workers refuse WebCrypto PBKDF2 above 100,000 iterations with a NotSupportedError (workerd#1346);
 * the local workerd (1.20260426) derives them. The same refusal here, so a hash over the cap takes
 * src/passwords/pbkdf2.ts's @noble/hashes fallback, as it does once deployed.
 */
const WORKERS_MAX_ITERATIONS = 100_000;
let pbkdf2Refusals = 0;
const deriveBits = crypto.subtle.deriveBits.bind(crypto.subtle);
crypto.subtle.deriveBits = (algorithm, key, length) => {
  const iterations = (algorithm as Partial<Pbkdf2Params>).iterations;
  if (iterations !== undefined && iterations > WORKERS_MAX_ITERATIONS) {
    pbkdf2Refusals++;
    return Promise.reject(
      new DOMException("Pbkdf2 failed: iteration counts above 100000 are not supported", "NotSupportedError"),
    );
  }
  return deriveBits(algorithm, key, length);
};

/** "over the cap" at 150,000 iterations (node:crypto pbkdf2Sync). */
const OVER_CAP_HASH = "pbkdf2_sha256$150000$rt0workerd0fallback$WKBbwVzbnM7sGAixRgpdyQdgatEOdSq3mskckmb8TJU=";

const SIGNING_KEY = "runtime-matrix-signing-key-0123456789abcdef";

interface World {
  schemes: Record<string, BaseAuthentication<DefaultUser>[]>;
  token: string;
  pair: TokenPair;
}

// Workers may not make random values at global scope: the stores are filled on the first request.
let world: Promise<World> | undefined;

async function setup(): Promise<World> {
  const users = new MemoryUserStore();
  const ada = await users.create({
    username: "ada",
    passwordHash: await hashPassword("correct horse battery staple", passwords),
  });
  await users.create({ username: "grace", passwordHash: OVER_CAP_HASH });
  // workerd has no Worker and no node:worker_threads: argon2 runs on this thread (docs/passwords.md).
  const argon2 = { algorithm: "argon2", argon2: { timeCost: 1, memoryCost: 64, parallelism: 1 } } as const;
  await users.create({ username: "hedy", passwordHash: await hashPassword("frequency hopping", argon2) });
  const tokens = new MemoryTokenStore();
  const tokenAuth = new TokenAuthentication({ tokens, users });
  const { token } = await tokenAuth.issue(ada.id, { name: "workerd" });
  const jwt = new JWTService({ signingKey: SIGNING_KEY, users });
  const pair = await jwt.obtainPair(ada);
  return {
    token,
    pair,
    schemes: {
      "/basic": [new BasicAuthentication({ users, passwords })],
      "/token": [tokenAuth],
      "/jwt": [new JWTAuthentication({ jwt })],
    },
  };
}

export default {
  async fetch(request: Request): Promise<Response> {
    world ??= setup();
    const { schemes, token, pair } = await world;
    const { pathname } = new URL(request.url);
    if (pathname === "/credentials") {
      return Response.json({ token, access: pair.access, refresh: pair.refresh });
    }
    if (pathname === "/pbkdf2-refusals") return Response.json({ refusals: pbkdf2Refusals });
    if (pathname === "/hash-workers") return Response.json({ kind: workerKind() });
    const chosen = schemes[pathname];
    if (chosen === undefined) return new Response("Not found", { status: 404 });
    const result = await authenticate(request, chosen);
    if (result.outcome !== "success") return toResponse(result)!;
    return Response.json({
      scheme: result.scheme,
      user: result.user,
      runtime: navigator.userAgent,
      nodeCrypto: getNodeCrypto() !== null,
    });
  },
};

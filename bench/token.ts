/**
 * TokenAuthentication against passport-http-bearer, and the digest step against a bare node:crypto
 * SHA-256 plus a Map lookup.
 */
import { createHash, hash } from "node:crypto";
import passport from "passport";
import { Strategy as BearerStrategy } from "passport-http-bearer";
import { tokenDigest } from "../src/adapter-kit.js";
import { authenticate, MemoryTokenStore, MemoryUserStore, TokenAuthentication } from "../src/index.js";
import { makeRequest } from "../src/testing/index.js";
import type { Contender } from "./interleave.js";

const users = new MemoryUserStore();
const tokens = new MemoryTokenStore();
const owner = await users.create({ username: "ada", passwordHash: null });
const tokenAuth = new TokenAuthentication({ tokens, users });
const { token } = await tokenAuth.issue(owner.id);
const schemes = [tokenAuth];
const request = makeRequest({ headers: { Authorization: `Token ${token}` } });

/** The lookup both sides use: the token's digest in the store, then its owner. */
async function lookup(presented: string) {
  const record = await tokens.findByDigest(await tokenDigest(presented));
  return record === null ? null : ((await users.findById(record.userId))?.user ?? null);
}

/** portcullis: `authenticate(req, [tokenAuth])` with the memory stores. */
export const portcullisToken: Contender = {
  name: "portcullis authenticate(req, [TokenAuthentication]), MemoryTokenStore",
  run: () => authenticate(request, schemes),
};

type Middleware = (req: object, res: object, next: (error?: unknown) => void) => void;
const authenticator = new passport.Passport();
authenticator.use(
  new BearerStrategy((presented, done) => {
    lookup(presented).then(
      (user) => done(null, user ?? false),
      (error: unknown) => done(error),
    );
  }),
);
const bearerHeaders = { host: "api.example.com", authorization: `Bearer ${token}` };

function passportBearerAuthenticate(): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = { method: "GET", url: "/me/", headers: bearerHeaders };
    const middleware: Middleware = authenticator.authenticate(
      "bearer",
      { session: false },
      (error: unknown, user: unknown) => (error ? reject(error) : resolve(user)),
    );
    middleware(req, {}, reject);
  });
}

/** passport-http-bearer's BearerStrategy through passport.authenticate, with the same lookup. */
export const passportBearer: Contender = {
  name: "passport-http-bearer via passport.authenticate, same lookup",
  run: passportBearerAuthenticate,
};

/** Throws unless both sides authenticate the token's owner. */
export async function checkTokenContenders(): Promise<void> {
  const result = await authenticate(request, schemes);
  if (result.outcome !== "success" || result.user !== owner.user) {
    if (result.outcome !== "success") throw new Error("portcullis did not authenticate the token");
  }
  const user = (await passportBearerAuthenticate()) as { id?: string } | false;
  if (!user || user.id !== owner.id) throw new Error("passport-http-bearer did not authenticate the token");
}

// The digest step: 10,000 distinct tokens (cycled), each looked up by digest in a Map of all of them.
const DIGEST_BATCH = 100;
const many = Array.from({ length: 10_000 }, (_, i) => `pct_${i.toString(36).padStart(43, "x")}`);
const byDigest = new Map(many.map((t) => [createHash("sha256").update(t).digest("hex"), t]));
let cursor = 0;

async function batch(digest: (t: string) => string | Promise<string>): Promise<void> {
  for (let i = 0; i < DIGEST_BATCH; i++) {
    if (byDigest.get(await digest(many[cursor]!)) === undefined) throw new Error("digest mismatch");
    cursor = (cursor + 1) % many.length;
  }
}

/** `tokenDigest(token)` and a Map lookup, 100 per call. */
export const portcullisDigest: Contender = {
  name: `tokenDigest + Map.get (x${DIGEST_BATCH})`,
  run: () => batch(tokenDigest),
};

/** node:crypto's one-shot `hash("sha256", token, "hex")` and a Map lookup, 100 per call. */
export const nodeDigest: Contender = {
  name: `node:crypto hash("sha256") + Map.get (x${DIGEST_BATCH})`,
  run: () => batch((t) => hash("sha256", t, "hex")),
};

/** node:crypto's `createHash().update().digest()` and a Map lookup, 100 per call (context). */
export const nodeCreateHashDigest: Contender = {
  name: `node:crypto createHash + Map.get (x${DIGEST_BATCH})`,
  run: () => batch((t) => createHash("sha256").update(t).digest("hex")),
};

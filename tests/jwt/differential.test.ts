// The node:crypto path and the WebCrypto (jose) path must give the same answer for every token.
import fc from "fast-check";
import { exportPKCS8, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import {
  type AuthError,
  type JWTAlgorithm,
  JWTAuthentication,
  JWTService,
  type JWTSettings,
  MemoryUserStore,
} from "../../src/index.js";
import { signCompact, verifyCompact } from "../../src/jwt/jws.js";
import { KeyRing } from "../../src/jwt/keys.js";
import { makeRequest } from "../../src/testing/index.js";

const SECRETS: Partial<Record<JWTAlgorithm, string>> = {
  HS256: "s".repeat(32),
  HS384: "s".repeat(48),
  HS512: "s".repeat(64),
};

async function signingKeyFor(algorithm: JWTAlgorithm): Promise<string> {
  return (
    SECRETS[algorithm] ?? exportPKCS8((await generateKeyPair(algorithm, { extractable: true })).privateKey)
  );
}

type Outcome = { ok?: string; error?: string };
const outcome = (jwt: JWTService, token: string): Promise<Outcome> =>
  jwt.validate(token, null).then(
    (claims) => ({ ok: JSON.stringify(claims) }),
    (error: unknown) => ({ error: (error as Error).message }),
  );

// Through JWTAuthentication, as the runner calls it.
const users = new MemoryUserStore();
users.add({ id: "1", username: "u1", passwordHash: null, isActive: true, user: { id: "1", username: "u1" } });
const schemes = new WeakMap<JWTService, JWTAuthentication<unknown>>();
async function schemeOutcome(jwt: JWTService, token: string): Promise<Outcome> {
  let scheme = schemes.get(jwt);
  if (scheme === undefined) {
    scheme = new JWTAuthentication({ jwt });
    schemes.set(jwt, scheme);
  }
  const request = makeRequest({ headers: { Authorization: `Bearer ${token}` } });
  try {
    const result = await scheme.authenticate(request);
    return { ok: JSON.stringify(result?.auth) };
  } catch (error) {
    const { detail, code, messages } = error as AuthError & { messages?: unknown };
    return { error: JSON.stringify({ detail, code, messages }) };
  }
}

describe.each<JWTAlgorithm>([
  "HS256",
  "HS384",
  "HS512",
  "RS256",
  "RS512",
  "PS256",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
])("%s: node:crypto and WebCrypto agree", (algorithm) => {
  it("on tokens either one signed, and on every mutation of them", async () => {
    const settings: JWTSettings = { algorithm, signingKey: await signingKeyFor(algorithm), users };
    const fast = new JWTService(settings);
    const portable = new JWTService({ ...settings, useNodeCrypto: false });
    const tokens = [
      (await fast.obtainPair({ id: "1" })).access,
      (await portable.obtainPair({ id: "2" })).refresh,
    ];
    for (const token of tokens) {
      const expected = await outcome(portable, token);
      expect(expected.ok).toBeDefined();
      expect(await outcome(fast, token)).toEqual(expected);
      expect(await schemeOutcome(fast, token)).toEqual(await schemeOutcome(portable, token));
    }
    const fastScheme = new JWTAuthentication({ jwt: fast });
    const answer = fastScheme.authenticate(
      makeRequest({ headers: { Authorization: `Bearer ${tokens[0]}` } }),
    );
    await expect(answer).resolves.toMatchObject({ user: { id: "1" } });
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...tokens),
        fc.nat(),
        fc.integer({ min: 1, max: 64 }),
        async (token, at, shift) => {
          const i = at % token.length;
          const c = alphabet[(alphabet.indexOf(token[i]!) + shift) % alphabet.length]!;
          const mutated = `${token.slice(0, i)}${c}${token.slice(i + 1)}`;
          const expected = await outcome(portable, mutated);
          // Twice: the second answer comes from the header verdict cached by the first.
          expect(await outcome(fast, mutated)).toEqual(expected);
          expect(await outcome(fast, mutated)).toEqual(expected);
          expect(await schemeOutcome(fast, mutated)).toEqual(await schemeOutcome(portable, mutated));
        },
      ),
      { numRuns: 150 },
    );
  });

  it("signs the same claims into the same token (or, for PS and ES, tokens each path verifies)", async () => {
    const signingKey = await signingKeyFor(algorithm);
    const claims = {
      token_type: "access",
      exp: 4_000_000_000,
      iat: 1_800_000_000,
      jti: "a".repeat(32),
      user_id: "1",
    };
    const fastRing = new KeyRing({ algorithm, signingKey });
    const portableRing = new KeyRing({ algorithm, signingKey, useNodeCrypto: false });
    // Two backends really: node:crypto here (Node, Bun, Deno), WebCrypto when useNodeCrypto is false.
    expect((await fastRing.signing()).backend.name).toBe("node");
    expect((await portableRing.signing()).backend.name).toBe("webcrypto");
    const fast = await signCompact(claims, fastRing);
    const portable = await signCompact(claims, portableRing);
    if (/^(PS|ES)/.test(algorithm)) {
      expect(await verifyCompact(fast, portableRing)).not.toBeNull();
      expect(await verifyCompact(portable, fastRing)).not.toBeNull();
    } else {
      expect(fast).toBe(portable);
    }
  });
});

describe("segment decoding: node:buffer and the portable decoder agree", () => {
  it("on random bytes, invalid UTF-8 and byte-order marks included", async () => {
    const { segmentText } = await import("../../src/jwt/jws.js");
    const { getNodeBuffer } = await import("../../src/core/crypto.js");
    const node = getNodeBuffer();
    expect(node?.isUtf8).toBeTypeOf("function");
    await fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const segment = Buffer.from(bytes).toString("base64url");
        expect(segmentText(segment, node)).toEqual(segmentText(segment, null));
      }),
      { numRuns: 2000 },
    );
    const bom = Buffer.from("\ufeff{}").toString("base64url");
    expect(segmentText(bom, node)).toBe("\ufeff{}");
    expect(segmentText(bom, null)).toBe("\ufeff{}");
    expect(segmentText(Buffer.from([0xff, 0xfe]).toString("base64url"), node)).toBeNull();
    // U+FFFD sent as itself is valid UTF-8; the fast path only checks again when the text has one.
    const replacement = Buffer.from('{"a":"\ufffd"}').toString("base64url");
    expect(segmentText(replacement, node)).toBe('{"a":"\ufffd"}');
    expect(segmentText(replacement, null)).toBe('{"a":"\ufffd"}');
    for (const bytes of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80], [0xf4, 0x90, 0x80, 0x80]]) {
      const segment = Buffer.from([0x7b, ...bytes, 0x7d]).toString("base64url");
      expect(segmentText(segment, node)).toBeNull();
      expect(segmentText(segment, null)).toBeNull();
    }
  });
});

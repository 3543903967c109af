// Known-answer and attack vectors built without jose (tests/vectors/jwt/README.md): RFC 7515/7519/8037
// examples, tokens as simplejwt mints them, and security.md §2A–2E as data.
import { compactVerify } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  type AuthError,
  type JWTAlgorithm,
  JWTAuthentication,
  JWTService,
  type JWTSettings,
  MemoryRevocationStore,
  MemoryUserStore,
} from "../../src/index.js";
import { verifyCompact } from "../../src/jwt/jws.js";
import { KeyRing } from "../../src/jwt/keys.js";
import { makeRequest } from "../../src/testing/index.js";
import attacks from "../vectors/jwt/attacks.json" with { type: "json" };
import keyFile from "../vectors/jwt/keys.json" with { type: "json" };
import rfc from "../vectors/jwt/rfc.json" with { type: "json" };
import simplejwt from "../vectors/jwt/simplejwt.json" with { type: "json" };

type KeyRecord = { kid?: string; secretHex?: string; privatePem?: string; publicPem?: string; jwk?: object };
const keys = keyFile.keys as unknown as Record<string, KeyRecord>;

function hex(text: string): Uint8Array {
  return new Uint8Array(text.match(/../g)!.map((byte) => Number.parseInt(byte, 16)));
}

function keySettings(algorithm: JWTAlgorithm, keyId: string, keyIds?: string[]): JWTSettings {
  const material = (id: string) => {
    const key = keys[id]!;
    return key.secretHex
      ? { signingKey: hex(key.secretHex) }
      : { signingKey: key.privatePem!, verifyingKey: key.publicPem! };
  };
  if (!keyIds) return { algorithm, ...material(keyId) };
  const [main, ...rest] = keyIds;
  return {
    algorithm,
    ...material(main!),
    keyId: main!,
    verifyingKeys: rest.map((id) => ({ kid: id, key: material(id).verifyingKey ?? material(id).signingKey })),
  };
}

const TYPES: Record<string, "access" | "refresh" | "sliding" | null> = {
  AccessToken: "access",
  RefreshToken: "refresh",
  SlidingToken: "sliding",
  UntypedToken: null,
};

afterEach(() => vi.useRealTimers());

describe("RFC examples", () => {
  type RfcVector = {
    name: string;
    algorithm?: string;
    token: string;
    expect: string;
    jwk?: { k?: string };
    publicJwk?: object;
  };
  const vectors = rfc.vectors as unknown as RfcVector[];

  it.each(vectors.filter((v) => v.expect.startsWith("valid")).map((v) => [v.name, v] as const))(
    "%s: the signature and structure check out, on both paths",
    async (_name, v) => {
      const algorithm = v.algorithm as JWTAlgorithm;
      const key = v.jwk?.k
        ? Uint8Array.from(atob(v.jwk.k.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0))
        : (v.publicJwk as object);
      const settings = {
        algorithm,
        signingKey: key,
        ...(v.jwk?.k ? {} : { verifyingKey: key }),
      } as JWTSettings;
      const [header, payload, signature] = v.token.split(".") as [string, string, string];
      const isClaimsSet = atob(payload.replace(/-/g, "+").replace(/_/g, "/")).startsWith("{");
      for (const useNodeCrypto of [true, false]) {
        const ring = new KeyRing({ ...settings, useNodeCrypto });
        if (isClaimsSet) {
          expect(await verifyCompact(v.token, ring)).not.toBeNull();
        } else {
          // RFC 8037 A.4 signs plain text: the key and signature check out, but it is no JWT.
          const entry = (await ring.select({ alg: algorithm }))!;
          expect(entry.backend.name).toBe(useNodeCrypto ? "node" : "webcrypto");
          const bytes = Uint8Array.from(Buffer.from(signature, "base64url"));
          const input = `${header}.${payload}`;
          expect(await entry.backend.verify(algorithm, entry.verifyKey, input, bytes)).toBe(true);
          await expect(compactVerify(v.token, entry.verify)).resolves.toBeDefined();
          expect(await verifyCompact(v.token, ring)).toBeNull();
        }
      }
      // Without simplejwt's claims the token is still refused by the claim checks, never accepted.
      await expect(new JWTService(settings).validate(v.token, "access")).rejects.toMatchObject({
        code: "token_not_valid",
      });
    },
  );

  it("refuses RFC 7519 §6.1's unsecured JWT", async () => {
    const unsecured = vectors.find((v) => v.expect === "invalid")!;
    const jwt = new JWTService({ signingKey: "k".repeat(32) });
    await expect(jwt.validate(unsecured.token, null)).rejects.toMatchObject({ detail: "Token is invalid" });
  });
});

describe("tokens minted by simplejwt", () => {
  it.each(simplejwt.vectors.map((v) => [v.name, v] as const))("accepts %s", async (_name, v) => {
    vi.useFakeTimers({ now: v.now * 1000 });
    const jwt = new JWTService({
      ...keySettings(v.algorithm as JWTAlgorithm, v.keyId),
      ...(v.settings as object),
      users: new MemoryUserStore(),
    });
    const claims = await jwt.validate(v.token, TYPES[v.tokenClass] ?? null);
    expect({ ...claims }).toEqual(v.payload);
  });
});

describe("attacks (security.md §2A–2E)", () => {
  const vectors = attacks.vectors as unknown as Array<{
    name: string;
    token: string;
    algorithmConfigured: JWTAlgorithm;
    keyId: string;
    keyIds?: string[];
    settings: Partial<JWTSettings>;
    tokenClass: string;
    now: number;
    expect: string;
    message: string | null;
    code: string | null;
    precondition?: {
      users?: Array<{ id: string; isActive: boolean; passwordHash?: string }>;
      blacklistJti?: string;
    };
  }>;

  it.each(vectors.map((v) => [`${v.name} → ${v.expect}`, v] as const))("%s", async (_name, v) => {
    vi.useFakeTimers({ now: v.now * 1000 });
    const fetch = vi.spyOn(globalThis, "fetch");
    const revocations = new MemoryRevocationStore();
    const users = new MemoryUserStore();
    for (const user of v.precondition?.users ?? [{ id: "1", isActive: true }]) {
      users.add({
        id: user.id,
        username: `u${user.id}`,
        passwordHash: user.passwordHash ?? null,
        isActive: user.isActive,
        user: { id: user.id, username: `u${user.id}` },
      });
    }
    if (v.precondition?.blacklistJti) await revocations.revoke(v.precondition.blacklistJti, new Date(4e12));
    const jwt = new JWTService({
      ...keySettings(v.algorithmConfigured, v.keyId, v.keyIds),
      ...v.settings,
      revocations,
      users,
    });
    const type = TYPES[v.tokenClass] ?? null;
    const userLevel = ["no_user_id", "user_not_found", "user_inactive", "password_changed"].includes(
      v.expect,
    );
    const attempt =
      type === "access" && (userLevel || v.expect === "safe")
        ? new JWTAuthentication({ jwt }).authenticate(
            makeRequest({ headers: { Authorization: `Bearer ${v.token}` } }),
          )
        : jwt.validate(v.token, type);
    const outcome = await attempt.then(
      () => ({ ok: true as const }),
      (error: AuthError) => ({
        ok: false as const,
        detail: error.detail,
        code: error.code,
        messages: (error as { messages?: Array<{ message: string }> }).messages,
      }),
    );
    if (v.expect === "valid") expect(outcome).toEqual({ ok: true });
    else if (v.expect !== "safe") {
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) {
        const detail = outcome.messages?.[0]?.message ?? outcome.detail;
        expect({ detail, code: outcome.code }).toEqual({ detail: v.message, code: v.code });
      }
    }
    expect(fetch).not.toHaveBeenCalled();
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});

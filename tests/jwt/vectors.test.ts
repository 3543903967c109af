// Known-answer and attack vectors built without jose (tests/vectors/jwt/README.md): RFC 7515/7519/8037
// examples, tokens as simplejwt mints them, and security.md §2A–2E as data.
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
  it.each(rfc.vectors.map((v) => [v.name, v] as const))("%s", async (_name, vector) => {
    const v = vector as {
      algorithm: string;
      token: string;
      expect: string;
      jwk?: { k?: string };
      publicJwk?: object;
    };
    if (v.expect !== "valid" || !v.jwk?.k) return; // the signature-only checks are below
    const secret = Uint8Array.from(atob(v.jwk.k.replace(/-/g, "+").replace(/_/g, "/")), (c) =>
      c.charCodeAt(0),
    );
    const jwt = new JWTService({
      algorithm: v.algorithm as JWTAlgorithm,
      signingKey: secret,
      useNodeCrypto: false,
    });
    // RFC 7515 A.1 has no simplejwt claims: the signature must verify, and only the claim checks refuse it.
    await expect(jwt.validate(v.token, null)).rejects.toMatchObject({ code: "token_not_valid" });
    const { verifyCompact } = await import("../../src/jwt/jws.js");
    const { KeyRing } = await import("../../src/jwt/keys.js");
    expect(
      await verifyCompact(
        v.token,
        new KeyRing({ algorithm: v.algorithm as JWTAlgorithm, signingKey: secret }),
      ),
    ).not.toBeNull();
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
        ? new JWTAuthentication({ jwt, users }).authenticate(
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
